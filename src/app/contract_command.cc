// `tarn contract register|check|list|show` and `tarn publish`: event contracts and publishing,
// over `tarn serve`'s HTTP API (docs/contracts.md, docs/events-api.md).
#include <CLI/CLI.hpp>
#include <iostream>
#include <iterator>
#include <memory>
#include <random>

#include "app/command_line.h"
#include "app/commands.h"
#include "app/http_api.h"
#include "base/clock.h"
#include "base/file_util.h"
#include "events/envelope.h"

namespace tarn::app {
namespace {

using nlohmann::json;

// The subject that holds `type`'s contract: its binding, else the type's own name.
Result<std::string> SubjectOf(const HttpOptions& http, const std::string& type) {
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer, CallHttp(http, "GET", "/v1/contracts/" + PathSegment(type)));
  if (answer.status == 200 && answer.body.is_object()) return answer.body.value("subject", type);
  if (answer.status == 404) return type;
  return Error(AnswerStatus(answer, "contract " + Quote(type)));
}

struct ContractArgs {
  HttpOptions http;
  std::string type;
  std::string schema_path;
  std::string subject;
  std::string version = "latest";
  bool json = false;
};

Status Register(const ContractArgs& args) {
  TARN_ASSIGN_OR_RETURN(std::string schema, ReadInput(args.schema_path));
  if (json::parse(schema, nullptr, false).is_discarded()) {
    return Status::InvalidArgument("the schema in " + args.schema_path + " is not JSON");
  }
  const std::string subject = args.subject.empty() ? args.type : args.subject;
  json body = {{"schemaType", "JSON"}, {"schema", schema}};
  TARN_ASSIGN_OR_RETURN(HttpAnswer registered,
                        CallHttp(args.http, "POST", "/subjects/" + PathSegment(subject) + "/versions",
                                 body.dump()));
  if (registered.status != 200) return AnswerStatus(registered, "registering " + Quote(subject));
  if (subject != args.type) {
    TARN_ASSIGN_OR_RETURN(HttpAnswer bound,
                          CallHttp(args.http, "PUT", "/v1/contracts/" + PathSegment(args.type),
                                   json{{"subject", subject}}.dump()));
    if (bound.status != 200) return AnswerStatus(bound, "binding " + Quote(args.type));
  }
  TARN_ASSIGN_OR_RETURN(HttpAnswer latest,
                        CallHttp(args.http, "GET", "/v1/contracts/" + PathSegment(args.type)));
  if (latest.status != 200) return AnswerStatus(latest, "contract " + Quote(args.type));
  std::cout << args.type << ": subject " << subject << " version " << latest.body["version"]
            << " id " << registered.body["id"] << "\n";
  return Status::Ok();
}

// Exit 1 with the reasons when the schema breaks compatibility.
Status Check(const ContractArgs& args) {
  TARN_ASSIGN_OR_RETURN(std::string schema, ReadInput(args.schema_path));
  TARN_ASSIGN_OR_RETURN(std::string subject, SubjectOf(args.http, args.type));
  json body = {{"schemaType", "JSON"}, {"schema", schema}};
  TARN_ASSIGN_OR_RETURN(
      HttpAnswer answer,
      CallHttp(args.http, "POST",
               "/compatibility/subjects/" + PathSegment(subject) + "/versions?verbose=true",
               body.dump()));
  if (answer.status != 200) return AnswerStatus(answer, "checking " + Quote(subject));
  if (answer.body.value("is_compatible", false)) {
    std::cout << "compatible with " << subject << "\n";
    return Status::Ok();
  }
  std::string reasons;
  for (const json& message : answer.body.value("messages", json::array())) {
    reasons += "\n  " + (message.is_string() ? message.get<std::string>() : message.dump());
  }
  return Status::FailedPrecondition("not compatible with " + subject + ":" + reasons);
}

Status List(const ContractArgs& args) {
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer, CallHttp(args.http, "GET", "/v1/contracts"));
  if (answer.status != 200) return AnswerStatus(answer, "listing contracts");
  if (args.json) {
    std::cout << answer.body.dump(2) << "\n";
    return Status::Ok();
  }
  std::printf("%-32s %-32s %8s %8s\n", "TYPE", "SUBJECT", "VERSION", "ID");
  for (const json& c : answer.body.value("contracts", json::array())) {
    auto number = [](const json& v) { return v.is_number() ? v.dump() : std::string("-"); };
    std::printf("%-32s %-32s %8s %8s\n", c.value("type", "").c_str(), c.value("subject", "").c_str(),
                number(c["version"]).c_str(), number(c["id"]).c_str());
  }
  return Status::Ok();
}

Status Show(const ContractArgs& args) {
  TARN_ASSIGN_OR_RETURN(std::string subject, SubjectOf(args.http, args.type));
  TARN_ASSIGN_OR_RETURN(
      HttpAnswer answer,
      CallHttp(args.http, "GET",
               "/subjects/" + PathSegment(subject) + "/versions/" + PathSegment(args.version)));
  if (answer.status != 200) return AnswerStatus(answer, "contract " + Quote(args.type));
  json schema = json::parse(answer.body.value("schema", ""), nullptr, false);
  std::cout << "# " << args.type << ": subject " << subject << " version "
            << answer.body["version"] << " id " << answer.body["id"] << "\n"
            << (schema.is_discarded() ? answer.body.value("schema", "") : schema.dump(2)) << "\n";
  return Status::Ok();
}

struct PublishArgs {
  HttpOptions http;
  std::string file;
  std::string type;
  std::string key;
  std::string data = "{}";
  std::string id;
  std::string source;
};

std::string RandomId() {
  std::random_device device;
  std::mt19937_64 rng((uint64_t{device()} << 32) | device());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
    id += kHex[rng() & 15];
  }
  return id;
}

Status Publish(const PublishArgs& args) {
  std::string body;
  std::string content_type = "application/x-ndjson";
  if (!args.type.empty()) {
    json data = json::parse(args.data, nullptr, false);
    if (data.is_discarded()) return Status::InvalidArgument("--data is not JSON");
    json tags = json::object();
    if (!args.source.empty()) tags["source"] = args.source;
    const std::string id = args.id.empty() ? RandomId() : args.id;
    TARN_ASSIGN_OR_RETURN(events::Envelope event,
                          events::Envelope::Make(id, args.type, SystemClock().NowMs(),
                                                 args.key.empty() ? id : args.key, data, tags));
    body = event.Serialize();
    content_type = "application/json";
  } else {
    TARN_ASSIGN_OR_RETURN(body, ReadInput(args.file.empty() ? "-" : args.file));
    const size_t first = body.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && body[first] == '[') content_type = "application/json";
  }
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer, CallHttp(args.http, "POST", "/v1/events", body, content_type));
  if (answer.status != 200) return AnswerStatus(answer, "publish refused");
  for (const json& e : answer.body.value("events", json::array())) {
    std::cout << e.value("id", "") << " -> " << e.value("topic", "") << "/" << e["partition"] << "@"
              << e["offset"] << "\n";
  }
  return Status::Ok();
}

}  // namespace

void AddContractCommands(CLI::App& root, int& exit_code) {
  auto* contract = root.add_subcommand("contract", "Event contracts: JSON Schemas bound to event types");
  contract->require_subcommand(1);
  auto args = std::make_shared<ContractArgs>();

  auto* reg = AddHttpSubcommand(*contract, "register", "Register a JSON Schema as TYPE's contract",
                                args->http, [args] { return Register(*args); }, exit_code);
  reg->add_option("type", args->type, "The event type (<entity>-<verb>)")->required();
  reg->add_option("--schema", args->schema_path, "The JSON Schema file (- for stdin)")->required();
  reg->add_option("--subject", args->subject, "The subject to keep it under (default: TYPE)");

  auto* check = AddHttpSubcommand(*contract, "check",
                                  "Whether a schema is compatible with TYPE's contract", args->http,
                                  [args] { return Check(*args); }, exit_code);
  check->add_option("type", args->type, "The event type")->required();
  check->add_option("--schema", args->schema_path, "The JSON Schema file (- for stdin)")->required();

  auto* list = AddHttpSubcommand(*contract, "list", "Every event type with a contract", args->http,
                                 [args] { return List(*args); }, exit_code);
  list->add_flag("--json", args->json, "Print the server's JSON");

  auto* show = AddHttpSubcommand(*contract, "show", "Print TYPE's contract", args->http,
                                 [args] { return Show(*args); }, exit_code);
  show->add_option("type", args->type, "The event type")->required();
  show->add_option("--version", args->version, "A version number or latest")->capture_default_str();

  auto publish_args = std::make_shared<PublishArgs>();
  auto* publish = AddHttpSubcommand(
      root, "publish",
      "Publish events over HTTP: NDJSON or a JSON array from --file or stdin, or one event from "
      "--type/--key/--data",
      publish_args->http, [publish_args] { return Publish(*publish_args); }, exit_code);
  publish->add_option("--file", publish_args->file, "Events to publish (- for stdin, the default)");
  publish->add_option("--type", publish_args->type, "Build one event of this type");
  publish->add_option("--key", publish_args->key, "Its partitionKey (default: its id)");
  publish->add_option("--data", publish_args->data, "Its entity as JSON (goes under the type's entity name)")
      ->capture_default_str();
  publish->add_option("--id", publish_args->id, "Its id (default: random)");
  publish->add_option("--source", publish_args->source, "Its tags.source");
}

}  // namespace tarn::app
