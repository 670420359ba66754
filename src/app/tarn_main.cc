// The `tarn` binary: one root app, one subcommand per job. Each subcommand records its exit code;
// a usage error (unknown flag, bad value) is reported here as "tarn <command>: <message>", exit 2.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "app/command_line.h"
#include "app/commands.h"
#include "app/version.h"

int main(int argc, char** argv) {
  CLI::App app("Tarn: an event hub, event lake and service datastore in one binary.", "tarn");
  app.set_version_flag("--version", std::string(tarn::app::kVersion));
  app.require_subcommand(1);

  int exit_code = tarn::app::kExitOk;
  tarn::app::AddServeCommand(app, exit_code);
  tarn::app::AddTopicCommands(app, exit_code);
  tarn::app::AddGroupCommands(app, exit_code);
  tarn::app::AddProduceCommand(app, exit_code);
  tarn::app::AddConsumeCommand(app, exit_code);
  tarn::app::AddContractCommands(app, exit_code);
  tarn::app::AddRuleCommands(app, exit_code);
  tarn::app::AddLakeCommands(app, exit_code);
  app.footer("Run 'tarn <command> --help' for the flags of a command.");  // after: not inherited

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive as "errors" with exit code 0; CLI11 prints them.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::cerr << tarn::app::UsageErrorMessage(app, e) << std::endl;
    return tarn::app::kExitUsageError;
  }
  return exit_code;
}
