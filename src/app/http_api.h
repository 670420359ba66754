// The subcommands that talk to `tarn serve`'s HTTP API (contract, publish, rule, faults): the
// flags they share and one call that turns any answer into JSON or a Status.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tarn::app {

inline constexpr std::string_view kDefaultHttpAddress = "127.0.0.1:8080";

struct HttpOptions {
  std::string address = std::string(kDefaultHttpAddress);  // HOST:PORT or http://HOST:PORT
  std::chrono::milliseconds timeout{30000};
};

// Adds `--http HOST:PORT` (default: $TARN_HTTP, else 127.0.0.1:8080) and `--timeout-ms MS`.
void AddHttpFlags(CLI::App& cmd, HttpOptions& options);

// Adds subcommand `name` to `parent`, with the HTTP flags set into `http`; when it is chosen it
// runs `run` and records the exit code (ReportStatus) in `exit_code`.
CLI::App* AddHttpSubcommand(CLI::App& parent, const char* name, const char* help,
                            HttpOptions& http, std::function<Status()> run, int& exit_code);

// The answer to one request.
struct HttpAnswer {
  int status = 0;
  nlohmann::json body;  // null when the body is not JSON
};

// Sends `method target` with `body` (JSON unless `content_type` says otherwise) and returns the
// answer whatever its status. Errors: the server could not be reached or answered with no HTTP.
Result<HttpAnswer> CallHttp(const HttpOptions& options, std::string method, std::string target,
                            std::string body = {},
                            std::string content_type = "application/json");

// The Status for a refusing answer: the message of Tarn's {"error":{"code","message"}} or of the
// registry's {"error_code","message"}, with the HTTP status. kNotFound for 404.
Status AnswerStatus(const HttpAnswer& answer, std::string_view what);

// The text of the file at `path`, or of stdin for "-".
Result<std::string> ReadInput(const std::string& path);

// `text` percent-encoded as one path segment.
std::string PathSegment(std::string_view text);

}  // namespace tarn::app
