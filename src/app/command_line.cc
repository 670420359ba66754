#include "app/command_line.h"

#include <CLI/CLI.hpp>
#include <iostream>

namespace tarn::app {

std::string CommandPath(const CLI::App& cmd) {
  std::string path = cmd.get_name();
  for (const CLI::App* parent = cmd.get_parent(); parent != nullptr;
       parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

namespace {

const CLI::App& DeepestParsed(const CLI::App& root) {
  const CLI::App* deepest = &root;
  while (!deepest->get_subcommands().empty()) deepest = deepest->get_subcommands().front();
  return *deepest;
}

}  // namespace

std::string ParsedCommandPath(const CLI::App& root) { return CommandPath(DeepestParsed(root)); }

std::string UsageErrorMessage(const CLI::App& root, const CLI::ParseError& error) {
  const CLI::App& command = DeepestParsed(root);
  std::vector<std::string> extras = command.remaining();
  // CLI11 reports a mistyped subcommand as a missing one, with the word left over.
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr &&
      command.get_require_subcommand_min() > 0 && command.get_subcommands().empty() &&
      !extras.empty()) {
    return CommandPath(command) + ": unknown command \"" + extras.front() + "\"";
  }
  return CommandPath(command) + ": " + error.what();
}

int ReportStatus(const CLI::App& cmd, const Status& status) {
  if (status.ok()) return kExitOk;
  std::cerr << CommandPath(cmd) << ": " << status.message() << std::endl;
  return kExitRuntimeError;
}

std::string Quote(std::string_view name) { return "\"" + std::string(name) + "\""; }

Result<std::pair<std::string, std::string>> ParseKeyValue(std::string_view arg) {
  size_t eq = arg.find('=');
  if (eq == std::string_view::npos) {
    return Error(Status::InvalidArgument("expected key=value, got " + Quote(arg)));
  }
  if (eq == 0) {
    return Error(Status::InvalidArgument("empty key in " + Quote(arg)));
  }
  return std::pair<std::string, std::string>(arg.substr(0, eq), arg.substr(eq + 1));
}

std::string CheckKeyValue(const std::string& arg) {
  Result<std::pair<std::string, std::string>> parsed = ParseKeyValue(arg);
  return parsed.has_value() ? std::string() : parsed.error().message();
}

}  // namespace tarn::app
