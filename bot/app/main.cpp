// reflexbot: the process. Parses the command line, loads the configuration, opens the store and
// runs the sync loop and the outbox on one io_context thread until SIGTERM/SIGINT or a fatal error.

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/bot.hpp"
#include "app/config.hpp"
#include "app/templates.hpp"
#include "store/sqlite.hpp"

namespace {

constexpr std::string_view kUsage =
    "Usage: reflexbot [--config FILE] [--check-config]\n"
    "       reflexbot --version | --help\n"
    "\n"
    "Runs Reflexbot, the Matrix bot for reflection rounds in municipal crisis management.\n"
    "\n"
    "  --config FILE    configuration file (default /etc/reflexbot/reflexbot.yaml)\n"
    "  --check-config   validate the configuration and exit\n"
    "  --version        print the version and exit\n"
    "  --help           print this help and exit\n"
    "\n"
    "Exit status: 0 stopped cleanly, 1 runtime error, 2 usage error,\n"
    "78 configuration error or rejected access token (do not restart).\n";

// The configured folder, else the first that exists of templates/ beside the config file, the
// installed templates and (for a build tree) the source tree's config/templates.
std::vector<reflexbot::core::Template> load_templates_for(const reflexbot::app::Config& config) {
  if (!config.templates_dir.empty()) return reflexbot::app::load_templates(config.templates_dir);
  for (const std::filesystem::path& candidate :
       {config.path.parent_path() / "templates",
        std::filesystem::path(REFLEXBOT_TEMPLATES_INSTALLED),
        std::filesystem::path(REFLEXBOT_TEMPLATES_SOURCE)}) {
    std::error_code ec;
    if (std::filesystem::is_directory(candidate, ec)) {
      return reflexbot::app::load_templates(candidate);
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "/etc/reflexbot/reflexbot.yaml";
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "reflexbot " << REFLEXBOT_VERSION << "\n";
      return 0;
    }
    if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      config_path = std::string(arg.substr(9));
    } else {
      std::cerr << "reflexbot: unknown argument '" << arg << "'\n\n" << kUsage;
      return 2;
    }
  }

  reflexbot::app::Config config;
  std::vector<reflexbot::core::Template> templates;
  try {
    config = reflexbot::app::load_config(config_path);
    templates = load_templates_for(config);
  } catch (const reflexbot::app::ConfigError& error) {
    std::cerr << "reflexbot: configuration error: " << error.what() << "\n";
    return reflexbot::matrix::kExitConfig;
  }
  if (check_only) {
    std::cout << "reflexbot: configuration " << config_path << " is valid\n";
    return 0;
  }

  auto logger = spdlog::stderr_color_st("reflexbot");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  try {
    return reflexbot::app::run_bot(config, std::move(templates));
  } catch (const reflexbot::store::StoreError& error) {
    spdlog::critical("store error: {}", error.what());
    return 1;
  } catch (const std::exception& error) {
    spdlog::critical("fatal: {}", error.what());
    return 1;
  }
}
