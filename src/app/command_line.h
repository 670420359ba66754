// Command-line plumbing shared by the `tarn` subcommands: how a command names itself in an
// error, how a Status becomes an exit code, and the `key=value` arguments several flags take.
//
// Exit codes: 0 success, 1 a runtime error (the broker refused, a file is missing), 2 a usage
// error (a flag CLI11 or a validator rejected before the command ran).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace tarn::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitUsageError = 2;

// "tarn topic create": the names from the root app down to `cmd`.
std::string CommandPath(const CLI::App& cmd);

// The deepest subcommand the user named ("tarn topic create"), or the root's name. Valid during
// and after parsing, also when parsing failed part way.
std::string ParsedCommandPath(const CLI::App& root);

// "<command path>: <what CLI11 said>" for a parse that failed; a word where a subcommand belongs
// reads "unknown command "x"".
std::string UsageErrorMessage(const CLI::App& root, const CLI::ParseError& error);

// Prints "<command path>: <message>" to stderr when `status` is not OK. Returns the exit code.
int ReportStatus(const CLI::App& cmd, const Status& status);

// `name` in double quotes, as errors show names: topic "orders".
std::string Quote(std::string_view name);

// Splits "key=value" at the first '='. The key must not be empty; the value may be.
Result<std::pair<std::string, std::string>> ParseKeyValue(std::string_view arg);

// A CLI11 check for flags that take `key=value`: "" when `arg` parses, else the reason.
std::string CheckKeyValue(const std::string& arg);

}  // namespace tarn::app
