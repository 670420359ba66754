// The `tarn` subcommands. Each Add* registers one subcommand (with its --help) on the root app;
// the subcommand's callback runs the command and records its process exit code in `exit_code`.
#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace tarn::app {

void AddServeCommand(CLI::App& root, int& exit_code);
void AddTopicCommands(CLI::App& root, int& exit_code);
void AddGroupCommands(CLI::App& root, int& exit_code);
void AddProduceCommand(CLI::App& root, int& exit_code);
void AddConsumeCommand(CLI::App& root, int& exit_code);
// contract register|check|list|show, and publish.
void AddContractCommands(CLI::App& root, int& exit_code);
// rule put|list|delete|test, and faults list|show|resubmit.
void AddRuleCommands(CLI::App& root, int& exit_code);
// lake verify|query|replay.
void AddLakeCommands(CLI::App& root, int& exit_code);

}  // namespace tarn::app
