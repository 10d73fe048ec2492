#pragma once
// Wiring of the running bot: store, transport, client, dispatcher, sync loop and outbox.

#include "app/config.hpp"
#include "matrix/outbox.hpp"

namespace reflexbot::app {

/// Runs the bot until SIGTERM/SIGINT (returns 0) or a fatal error (returns its exit status).
int run_bot(const Config& config);

}  // namespace reflexbot::app
