// The configuration loader: any text as reflexbot.yaml. It may only ever throw ConfigError (the
// bot turns that into a clear message and exit status 78); anything else escaping would end the
// process with std::terminate. Credentials named by the YAML exist in a private temporary folder
// (as systemd's CREDENTIALS_DIRECTORY and as files beside the config), so valid configs get far.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "app/config/config.hpp"
#include "fuzz_support.hpp"

namespace {

using reflexbot::fuzz::violation;
namespace fs = std::filesystem;

fs::path config_path;
fs::path folder;

void remove_folder() {
  std::error_code ignored;
  fs::remove_all(folder, ignored);
}

void write(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  std::string pattern = (fs::temp_directory_path() / "reflexbot-fuzz-config-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) violation("cannot create a temporary folder");
  folder = pattern;
  std::atexit(remove_folder);
  const std::string token = "syt_ZnV6eg_fuzzfuzzfuzzfuzzfuzz_0a1b2c\n";
  const std::string key = "0123456789abcdef0123456789abcdef\n";
  for (const char* name : {"access_token", "password", "pseudonym_key"}) {
    write(folder / name, std::string(name) == "pseudonym_key" ? key : token);
  }
  fs::create_directories(folder / "templates");
  setenv("CREDENTIALS_DIRECTORY", folder.c_str(), 1);
  config_path = folder / "reflexbot.yaml";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    const reflexbot::app::Config config = reflexbot::app::parse_config(yaml, config_path);
    reflexbot::app::invite_allowed(config, "@moderation:example.org");
    reflexbot::app::invite_allowed(config, "@someone:elsewhere.example");
    reflexbot::app::invite_allowed(config, yaml);
  } catch (const reflexbot::app::ConfigError& error) {
    const std::string what = error.what();
    if (!what.starts_with(config_path.string()))
      violation("ConfigError does not name the file", what);
  } catch (const std::exception& error) {
    violation("parse_config threw something other than ConfigError", error.what());
  } catch (...) {
    violation("parse_config threw a non-standard exception");
  }
  return 0;
}
