// reflexbot: the process. Parses the command line and runs one command: `run` (the default) loads
// the configuration, opens the store and runs the sync loop and the outbox on one io_context
// thread until SIGTERM/SIGINT or a fatal error; `status`, `backup` and `export` serve the admin
// beside it.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/cli/admin.hpp"
#include "app/cli/export.hpp"
#include "app/config/config.hpp"
#include "app/config/templates.hpp"
#include "app/runtime/bot.hpp"
#include "app/runtime/hardening.hpp"
#include "common/fatal.hpp"
#include "core/concepts.hpp"
#include "crypto/olm_machine.hpp"
#include "store/sqlite.hpp"
#include "store/status.hpp"

namespace {

namespace fs = std::filesystem;

using reflexbot::kExitConfig;
using reflexbot::kExitRuntime;
using reflexbot::kExitUsage;

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
int export_command(const Invocation& invocation);
int recovery_key_command(const Invocation& invocation);

// Adding a command: a function above and a row here; the help text follows.
constexpr std::array kCommands = {
    Command{"run", "", "run the bot (the default)", run_command},
    Command{"status", "[--database FILE]",
            "print the last sync, rooms, open rounds, outbox and quarantine from the store",
            status_command},
    Command{"backup", "[--force] [--database FILE] FILE",
            "copy the store into FILE while the bot runs (refuses to overwrite without --force)",
            backup_command},
    Command{
        "export",
        "--format markdown|csv|json|html [--since DATE] [--until DATE] [--room ROOM]\n"
        "         [--csv-dialect rfc4180|excel-de] [--output FILE] [--database FILE]\n"
        "         [--with-event-ids]",
        "the digest of a period and every contribution of it, for reports (default: the\n"
        "      last 7 days, all rooms). DATE is 2026-05-04 or 04.05.2026 in the digest's time\n"
        "      zone, both days included; ROOM a room id or a configured city. Authors appear\n"
        "      only as Person 1, Person 2, ... numbered anew in every export, or as anonymous;\n"
        "      no event ids. Contribution texts are exported as written (they may name\n"
        "      people). html is a self-contained report that prints to A4 from a browser.\n"
        "      --output writes the file with mode 0600. --with-event-ids adds the\n"
        "      Matrix event ids for an audit (they tie each row to its author's account).\n"
        "      --csv-dialect: rfc4180 (the default: commas, CRLF) or excel-de (semicolons,\n"
        "      UTF-8 with a byte order mark, CRLF: what Excel and LibreOffice open cleanly\n"
        "      with German settings).",
        export_command},
    Command{"recovery-key", "",
            "print a new recovery key for recovery_key_file / recovery_key_credential (keep a\n"
            "      copy apart from the bot's database: it restores the bot's identity)",
            recovery_key_command},
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
      "  --database FILE  (status, backup, export) this database instead of the configured one\n"
      "  --check-config   validate the configuration and exit\n"
      "  --version        print the version and exit\n"
      "  --help           print this help and exit\n"
      "\n"
      "Exit status: 0 stopped cleanly, 1 runtime error, 2 usage error,\n"
      "78 configuration error or rejected access token (do not restart).\n";
  return text;
}

/// One command's help: `reflexbot COMMAND --help`.
std::string command_usage(const Command& command) {
  std::string text = "Usage: reflexbot [--config FILE] " + std::string(command.name);
  if (!command.synopsis.empty()) text += " " + std::string(command.synopsis);
  return text + "\n\n      " + std::string(command.summary) +
         "\n\n`reflexbot --help` lists the other commands and the global options.\n";
}

/// A usage error: the one line that says what is wrong, and where the options are described
/// (`command`'s help, else the general one), not the whole help text.
int usage_error(const std::string& message, std::string_view command = {}) {
  std::cerr << "reflexbot: " << message << "\n";
  if (command.empty()) {
    std::cerr << "`reflexbot --help` shows the commands and options.\n";
  } else {
    std::cerr << "`reflexbot " << command << " --help` shows the options.\n";
  }
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

// Needs no configuration: the key goes into a file the configuration names.
int recovery_key_command(const Invocation& invocation) {
  if (!invocation.args.empty()) {
    return usage_error(
        "recovery-key takes no arguments, got '" + std::string(invocation.args.front()) + "'",
        "recovery-key");
  }
  auto key = reflexbot::crypto::OlmMachine::new_recovery_key();
  if (!key) {
    std::cerr << "reflexbot: no recovery key: " << key.error().message << "\n";
    return kExitRuntime;
  }
  std::cout << *key << "\n";
  return 0;
}

int run_command(const Invocation& invocation) {
  if (!invocation.args.empty()) {
    return usage_error("run takes no arguments, got '" + std::string(invocation.args.front()) + "'",
                       "run");
  }
  reflexbot::app::Config config;
  std::vector<reflexbot::core::Template> templates;
  try {
    config = reflexbot::app::load_config(invocation.config_path);
    templates = load_templates_for(config);
  } catch (const reflexbot::app::ConfigError& error) {
    std::cerr << "reflexbot: configuration error: " << error.what() << "\n";
    return kExitConfig;
  }
  // The administrator's concepts are part of the analysis (checked when the file was read).
  (void)reflexbot::core::add_concepts(config.digest.concepts);
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
    exit_code = kExitConfig;
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
  if (!args) return usage_error("status: " + error, "status");
  if (!args->words.empty()) {
    return usage_error("status takes no arguments, got '" + std::string(args->words.front()) + "'",
                       "status");
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
  if (!args) return usage_error("backup: " + error, "backup");
  if (args->words.size() != 1)
    return usage_error("backup needs exactly one FILE to write", "backup");
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

using ExportArgs = std::map<std::string, std::string, std::less<>>;

/// `export`'s options: each one once, as `--name VALUE` or `--name=VALUE`; flags (no value) as
/// `--name`, kept with an empty value.
std::optional<ExportArgs> parse_export_args(const Invocation& invocation, std::string& error) {
  constexpr std::array<std::string_view, 7> kOptions = {
      "--format", "--since", "--until", "--room", "--csv-dialect", "--output", "--database"};
  constexpr std::array<std::string_view, 1> kFlags = {"--with-event-ids"};
  std::map<std::string, std::string, std::less<>> values;
  const auto& args = invocation.args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view name = args[i];
    std::optional<std::string_view> value;
    if (const auto equals = name.find('='); name.starts_with("--") && equals != name.npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    if (std::find(kFlags.begin(), kFlags.end(), name) != kFlags.end()) {
      if (value) {
        error = std::string(name) + " takes no value";
        return std::nullopt;
      }
      if (!values.emplace(std::string(name), std::string()).second) {
        error = std::string(name) + " is given twice";
        return std::nullopt;
      }
      continue;
    }
    if (std::find(kOptions.begin(), kOptions.end(), name) == kOptions.end()) {
      error = (name.starts_with("-") ? "unknown option '" : "unexpected argument '") +
              std::string(args[i]) + "'";
      return std::nullopt;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        error = std::string(name) + " needs a value";
        return std::nullopt;
      }
      value = args[++i];
    }
    if (!values.emplace(std::string(name), std::string(*value)).second) {
      error = std::string(name) + " is given twice";
      return std::nullopt;
    }
  }
  return values;
}

/// The value of the option `name`, if it was given.
std::optional<std::string> export_arg(const ExportArgs& values, std::string_view name) {
  const auto found = values.find(name);
  if (found == values.end()) return std::nullopt;
  return found->second;
}

/// `export`'s options from its arguments; on a usage error, its exit status.
std::variant<reflexbot::app::ExportOptions, int> export_options(const ExportArgs& values) {
  auto value = [&](std::string_view name) { return export_arg(values, name); };
  reflexbot::app::ExportOptions options;
  const auto format = value("--format");
  if (!format) return usage_error("export needs --format markdown, csv, json or html", "export");
  const auto parsed_format = reflexbot::app::parse_export_format(*format);
  if (!parsed_format) {
    return usage_error("export: --format is markdown, csv, json or html, not '" + *format + "'",
                       "export");
  }
  options.format = *parsed_format;
  for (const auto& [name, date] :
       {std::pair{"--since", &options.since}, std::pair{"--until", &options.until}}) {
    const auto text = value(name);
    if (!text) continue;
    *date = reflexbot::app::parse_export_date(*text);
    if (!*date) {
      return usage_error("export: " + std::string(name) +
                             " is a date like 2026-05-04 or 04.05.2026, not '" + *text + "'",
                         "export");
    }
  }
  if (const auto dialect = value("--csv-dialect")) {
    const auto parsed = reflexbot::app::parse_csv_dialect(*dialect);
    if (!parsed) {
      return usage_error("export: --csv-dialect is rfc4180 or excel-de, not '" + *dialect + "'",
                         "export");
    }
    if (options.format != reflexbot::app::ExportFormat::csv) {
      return usage_error("export: --csv-dialect goes with --format csv", "export");
    }
    options.csv_dialect = *parsed;
  }
  options.with_event_ids = value("--with-event-ids").has_value();
  options.room = value("--room").value_or("");
  if (value("--room") && options.room.empty())
    return usage_error("export: --room is empty", "export");
  const auto output = value("--output");
  if (output && output->empty()) return usage_error("export: --output is empty", "export");
  if (const auto database = value("--database"); database && database->empty()) {
    return usage_error("export: --database is empty", "export");
  }
  return options;
}

/// Writes the export to `output` (none or "-": the standard output); the exit status.
int write_export(const std::optional<std::string>& output, const std::string& text) {
  if (!output || *output == "-") {
    std::cout << text << std::flush;
    if (!std::cout) {
      std::cerr << "reflexbot export: cannot write to the standard output\n";
      return kExitRuntime;
    }
    return 0;
  }
  try {
    reflexbot::app::write_private_file(fs::path(*output), text);
  } catch (const std::exception& failure) {
    std::cerr << "reflexbot export: " << failure.what() << "\n";
    return kExitRuntime;
  }
  std::cerr << "reflexbot: export written to " << *output << " (" << text.size()
            << " bytes, mode 0600)\n";
  return 0;
}

int export_command(const Invocation& invocation) {
  std::string error;
  const auto values = parse_export_args(invocation, error);
  if (!values) return usage_error("export: " + error, "export");
  auto parsed = export_options(*values);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  auto& options = std::get<reflexbot::app::ExportOptions>(parsed);
  auto value = [&](std::string_view name) { return export_arg(*values, name); };

  // The full configuration: rooms and cities, language, time zone, templates (phase titles).
  reflexbot::app::Config config;
  std::vector<reflexbot::core::Template> templates;
  try {
    config = reflexbot::app::load_config(invocation.config_path);
    templates = load_templates_for(config);
  } catch (const reflexbot::app::ConfigError& failure) {
    std::cerr << "reflexbot: configuration error: " << failure.what() << "\n";
    return kExitConfig;
  }
  (void)reflexbot::core::add_concepts(config.digest.concepts);
  const fs::path database = value("--database") ? fs::path(*value("--database")) : config.database;
  options.now = reflexbot::core::TimePoint(std::chrono::milliseconds(now_ms()));

  std::string text;
  try {
    {
      // Only read: a database of another schema version is left alone (opening the store would
      // migrate it behind the running bot's back).
      const int version = reflexbot::store::schema_version(database.string());
      if (version != reflexbot::store::kSchemaVersion) {
        std::cerr << "reflexbot export: " << database.string() << " has schema version " << version
                  << ", this reflexbot reads version " << reflexbot::store::kSchemaVersion << "\n";
        return kExitRuntime;
      }
    }
    reflexbot::store::Store store(database.string());
    text = reflexbot::app::export_digest(
        store,
        reflexbot::app::digest_settings(
            config, reflexbot::app::network_settings(config, std::move(templates))),
        options);
  } catch (const reflexbot::app::ExportError& failure) {
    return usage_error("export: " + std::string(failure.what()), "export");
  } catch (const std::exception& failure) {
    std::cerr << "reflexbot export: " << failure.what() << "\n";
    return kExitRuntime;
  }
  return write_export(value("--output"), text);
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything opens a file: files 0600 whatever the umask, and no core dumps.
  for (const std::string& failure : reflexbot::app::harden_process()) {
    std::cerr << "reflexbot: warning: " << failure << "\n";
  }
  Invocation invocation;
  const Command* command = nullptr;
  // Global options may come before or after the command; the other words belong to the command.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << (command != nullptr ? command_usage(*command) : usage());
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
