#pragma once
// Wiring of the running bot: store, transport, client, dispatcher, sync loop and outbox.

#include <vector>

#include "app/config/config.hpp"
#include "core/template.hpp"
#include "matrix/outbox.hpp"

namespace reflexbot::app {

/// Runs the bot until SIGTERM/SIGINT (returns 0) or a fatal error (returns its exit status).
int run_bot(const Config& config, std::vector<core::Template> templates);

}  // namespace reflexbot::app
