#include "app/http_api.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include "app/command_line.h"
#include "base/file_util.h"
#include "http/client.h"
#include "http/message.h"

namespace tarn::app {

void AddHttpFlags(CLI::App& cmd, HttpOptions& options) {
  if (const char* env = std::getenv("TARN_HTTP"); env != nullptr && *env != '\0') {
    options.address = env;
  }
  cmd.add_option("--http", options.address, "Tarn's HTTP address, HOST:PORT (env TARN_HTTP)")
      ->capture_default_str();
  cmd.add_option_function<int64_t>(
         "--timeout-ms", [&options](int64_t ms) { options.timeout = std::chrono::milliseconds(ms); },
         "How long to wait for an answer (default 30000)")
      ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}));
}

CLI::App* AddHttpSubcommand(CLI::App& parent, const char* name, const char* help,
                            HttpOptions& http, std::function<Status()> run, int& exit_code) {
  auto* cmd = parent.add_subcommand(name, help);
  AddHttpFlags(*cmd, http);
  cmd->callback([cmd, run = std::move(run), &exit_code] { exit_code = ReportStatus(*cmd, run()); });
  return cmd;
}

Result<HttpAnswer> CallHttp(const HttpOptions& options, std::string method, std::string target,
                            std::string body, std::string content_type) {
  http::ClientRequest request;
  request.method = std::move(method);
  request.url = options.address;
  request.target = std::move(target);
  request.timeout = options.timeout;
  if (!body.empty()) request.headers["Content-Type"] = std::move(content_type);
  request.body = std::move(body);
  TARN_ASSIGN_OR_RETURN(http::ClientResponse response, http::Send(request));
  HttpAnswer answer;
  answer.status = response.status;
  answer.body = nlohmann::json::parse(response.body, nullptr, false);
  if (answer.body.is_discarded()) answer.body = nullptr;
  return answer;
}

Status AnswerStatus(const HttpAnswer& answer, std::string_view what) {
  std::string message;
  const nlohmann::json& body = answer.body;
  if (body.is_object()) {
    if (auto error = body.find("error"); error != body.end() && error->is_object()) {
      message = error->value("message", "");
    } else if (body.contains("message") && body["message"].is_string()) {
      message = body["message"].get<std::string>();
    }
  }
  if (message.empty()) message = "the server answered " + std::to_string(answer.status);
  std::string text = std::string(what) + ": " + message;
  if (answer.status == 404) return Status::NotFound(text);
  if (answer.status == 409 || answer.status == 400 || answer.status == 422) {
    return Status::InvalidArgument(text);
  }
  return Status::Unavailable(text);
}

Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  return ReadFileToString(path);
}

std::string PathSegment(std::string_view text) { return http::PercentEncode(text); }

}  // namespace tarn::app
