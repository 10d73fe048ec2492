// reflexbot: the process. Parses the command line and runs one command: `run` (the default) loads
// the configuration, opens the store and runs the sync loop and the outbox on one io_context
// thread until SIGTERM/SIGINT or a fatal error; `status` and `backup` serve the admin beside it.

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/admin.hpp"
#include "app/bot.hpp"
#include "app/config.hpp"
#include "app/templates.hpp"
#include "store/sqlite.hpp"

namespace {

namespace fs = std::filesystem;

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

/// What every command gets: the global options and the words after the command's name.
struct Invocation {
  std::string config_path = "/etc/reflexbot/reflexbot.yaml";
  bool check_only = false;  ///< --check-config
  std::vector<std::string_view> args;
};

/// A subcommand: its name, its arguments for the help text, one line on what it does.
struct Command {
  std::string_view name;
  std::string_view synopsis;
  std::string_view summary;
  int (*run)(const Invocation&);
};

int run_command(const Invocation& invocation);
int status_command(const Invocation& invocation);
int backup_command(const Invocation& invocation);

// Adding a command: a function above and a row here; the help text follows.
constexpr std::array kCommands = {
    Command{"run", "", "run the bot (the default)", run_command},
    Command{"status", "[--database FILE]",
            "print the last sync, rooms, open rounds, outbox and quarantine from the store",
            status_command},
    Command{"backup", "[--force] [--database FILE] FILE",
            "copy the store into FILE while the bot runs (refuses to overwrite without --force)",
            backup_command},
};

std::string usage() {
  std::string text =
      "Usage: reflexbot [--config FILE] [COMMAND [ARGS]]\n"
      "       reflexbot [--config FILE] --check-config\n"
      "       reflexbot --version | --help\n"
      "\n"
      "Runs Reflexbot, the Matrix bot for reflection rounds in municipal crisis management.\n"
      "\n"
      "Commands:\n";
  for (const Command& command : kCommands) {
    std::string head = "  " + std::string(command.name);
    if (!command.synopsis.empty()) head += " " + std::string(command.synopsis);
    text += head + "\n      " + std::string(command.summary) + "\n";
  }
  text +=
      "\n"
      "Options:\n"
      "  --config FILE    configuration file (default /etc/reflexbot/reflexbot.yaml)\n"
      "  --database FILE  (status, backup) this database instead of the configured one\n"
      "  --check-config   validate the configuration and exit\n"
      "  --version        print the version and exit\n"
      "  --help           print this help and exit\n"
      "\n"
      "Exit status: 0 stopped cleanly, 1 runtime error, 2 usage error,\n"
      "78 configuration error or rejected access token (do not restart).\n";
  return text;
}

int usage_error(const std::string& message) {
  std::cerr << "reflexbot: " << message << "\n\n" << usage();
  return kExitUsage;
}

// The configured folder, else the first that exists of templates/ beside the config file, the
// installed templates and (for a build tree) the source tree's config/templates.
std::vector<reflexbot::core::Template> load_templates_for(const reflexbot::app::Config& config) {
  if (!config.templates_dir.empty()) return reflexbot::app::load_templates(config.templates_dir);
  for (const fs::path& candidate :
       {config.path.parent_path() / "templates", fs::path(REFLEXBOT_TEMPLATES_INSTALLED),
        fs::path(REFLEXBOT_TEMPLATES_SOURCE)}) {
    std::error_code ec;
    if (fs::is_directory(candidate, ec)) {
      return reflexbot::app::load_templates(candidate);
    }
  }
  return {};
}

int run_command(const Invocation& invocation) {
  if (!invocation.args.empty()) {
    return usage_error("run takes no arguments, got '" + std::string(invocation.args.front()) +
                       "'");
  }
  reflexbot::app::Config config;
  std::vector<reflexbot::core::Template> templates;
  try {
    config = reflexbot::app::load_config(invocation.config_path);
    templates = load_templates_for(config);
  } catch (const reflexbot::app::ConfigError& error) {
    std::cerr << "reflexbot: configuration error: " << error.what() << "\n";
    return reflexbot::matrix::kExitConfig;
  }
  if (invocation.check_only) {
    std::cout << "reflexbot: configuration " << invocation.config_path << " is valid\n";
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
    return kExitRuntime;
  } catch (const std::exception& error) {
    spdlog::critical("fatal: {}", error.what());
    return kExitRuntime;
  }
}

/// The admin commands' arguments: --force, --database FILE and plain words.
struct AdminArgs {
  bool force = false;
  std::optional<fs::path> database;
  std::vector<std::string_view> words;
};

std::optional<AdminArgs> parse_admin_args(const Invocation& invocation, bool allow_force,
                                          std::string& error) {
  AdminArgs parsed;
  const auto& args = invocation.args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--force" && allow_force) {
      parsed.force = true;
    } else if (arg == "--database" && i + 1 < args.size()) {
      parsed.database = fs::path(args[++i]);
    } else if (arg.starts_with("--database=")) {
      parsed.database = fs::path(arg.substr(11));
    } else if (arg.starts_with("-") && arg != "-") {
      error = "unknown option '" + std::string(arg) + "'";
      return std::nullopt;
    } else {
      parsed.words.push_back(arg);
    }
  }
  return parsed;
}

/// --database, else the database the configuration names (without reading its secrets).
std::optional<fs::path> admin_database(const Invocation& invocation, const AdminArgs& args,
                                       int& exit_code) {
  if (args.database) return *args.database;
  try {
    return reflexbot::app::database_from_config(invocation.config_path);
  } catch (const reflexbot::app::ConfigError& error) {
    std::cerr << "reflexbot: configuration error: " << error.what() << "\n";
    exit_code = reflexbot::matrix::kExitConfig;
    return std::nullopt;
  }
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int status_command(const Invocation& invocation) {
  std::string error;
  const auto args = parse_admin_args(invocation, false, error);
  if (!args) return usage_error("status: " + error);
  if (!args->words.empty()) {
    return usage_error("status takes no arguments, got '" + std::string(args->words.front()) + "'");
  }
  int exit_code = 0;
  const auto database = admin_database(invocation, *args, exit_code);
  if (!database) return exit_code;
  try {
    std::cout << reflexbot::app::format_status(reflexbot::app::read_status(*database, now_ms()),
                                               now_ms());
    return 0;
  } catch (const std::exception& failure) {
    std::cerr << "reflexbot status: " << failure.what() << "\n";
    return kExitRuntime;
  }
}

int backup_command(const Invocation& invocation) {
  std::string error;
  const auto args = parse_admin_args(invocation, true, error);
  if (!args) return usage_error("backup: " + error);
  if (args->words.size() != 1) return usage_error("backup needs exactly one FILE to write");
  int exit_code = 0;
  const auto database = admin_database(invocation, *args, exit_code);
  if (!database) return exit_code;
  try {
    const auto result =
        reflexbot::app::backup_database(*database, fs::path(args->words.front()), args->force);
    std::cout << "reflexbot: backup of " << database->string() << " written to "
              << result.file.string() << " (" << result.bytes << " bytes, integrity ok)\n";
    if (result.key_file) {
      std::cout << "reflexbot: the pseudonymisation key " << result.key_file->string()
                << " is not in the backup; keep a copy of it with the backup\n";
    }
    return 0;
  } catch (const std::exception& failure) {
    std::cerr << "reflexbot backup: " << failure.what() << "\n";
    return kExitRuntime;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Invocation invocation;
  const Command* command = nullptr;
  // Global options may come before or after the command; the other words belong to the command.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage();
      return 0;
    }
    if (arg == "--version") {
      std::cout << "reflexbot " << REFLEXBOT_VERSION << "\n";
      return 0;
    }
    if (arg == "--check-config") {
      invocation.check_only = true;
    } else if (arg == "--config") {
      if (i + 1 >= argc) return usage_error("--config needs a FILE");
      invocation.config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      invocation.config_path = std::string(arg.substr(9));
    } else if (command == nullptr && !arg.starts_with("-")) {
      for (const Command& candidate : kCommands) {
        if (candidate.name == arg) command = &candidate;
      }
      if (command == nullptr) return usage_error("unknown command '" + std::string(arg) + "'");
    } else if (command != nullptr) {
      invocation.args.push_back(arg);
    } else {
      return usage_error("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (command == nullptr) command = &kCommands.front();
  if (invocation.check_only && command->name != "run") {
    return usage_error("--check-config goes with no command");
  }
  return command->run(invocation);
}
