// `tarn rule put|list|delete|test` and `tarn faults list|show|resubmit`: the router's rules and
// fault events, over `tarn serve`'s HTTP API (docs/router.md).
#include <CLI/CLI.hpp>
#include <iostream>
#include <iterator>
#include <memory>

#include "app/command_line.h"
#include "app/commands.h"
#include "app/http_api.h"
#include "base/file_util.h"

namespace tarn::app {
namespace {

using nlohmann::json;

// The JSON text of the file at `path` (stdin for "-"); InvalidArgument when it is not JSON.
Result<std::string> ReadJsonInput(const std::string& path) {
  TARN_ASSIGN_OR_RETURN(std::string text, ReadInput(path));
  if (json::parse(text, nullptr, false).is_discarded()) {
    return Error(Status::InvalidArgument((path == "-" ? std::string("stdin") : path) + " is not JSON"));
  }
  return text;
}

struct RuleArgs {
  HttpOptions http;
  std::string name;
  std::string file = "-";
  bool json = false;
  size_t limit = 1000;
  std::vector<std::string> ids;
};

Status PutRule(const RuleArgs& args) {
  TARN_ASSIGN_OR_RETURN(std::string rule, ReadJsonInput(args.file));
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer,
                        CallHttp(args.http, "PUT", "/v1/rules/" + PathSegment(args.name), rule));
  if (answer.status != 200 && answer.status != 201) return AnswerStatus(answer, "rule " + Quote(args.name));
  std::cout << (answer.status == 201 ? "created" : "replaced") << " rule " << args.name << "\n";
  return Status::Ok();
}

Status ListRules(const RuleArgs& args) {
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer, CallHttp(args.http, "GET", "/v1/rules"));
  if (answer.status != 200) return AnswerStatus(answer, "listing rules");
  if (args.json) {
    std::cout << answer.body.dump(2) << "\n";
    return Status::Ok();
  }
  std::printf("%-32s %-8s %-48s %s\n", "NAME", "ENABLED", "PATTERN", "TARGETS");
  for (const json& rule : answer.body.value("rules", json::array())) {
    std::string targets;
    for (const json& target : rule.value("targets", json::array())) {
      if (!targets.empty()) targets += ", ";
      targets += target.value("id", "");
    }
    std::printf("%-32s %-8s %-48s %s\n", rule.value("name", "").c_str(),
                rule.value("enabled", true) ? "yes" : "no", rule["pattern"].dump().c_str(),
                targets.c_str());
  }
  return Status::Ok();
}

Status DeleteRule(const RuleArgs& args) {
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer,
                        CallHttp(args.http, "DELETE", "/v1/rules/" + PathSegment(args.name)));
  if (answer.status != 200) return AnswerStatus(answer, "rule " + Quote(args.name));
  std::cout << "deleted rule " << args.name << "\n";
  return Status::Ok();
}

Status TestRules(const RuleArgs& args) {
  TARN_ASSIGN_OR_RETURN(std::string event, ReadJsonInput(args.file));
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer, CallHttp(args.http, "POST", "/v1/rules/test", event));
  if (answer.status != 200) return AnswerStatus(answer, "testing rules");
  const json matched = answer.body.value("matched", json::array());
  if (matched.empty()) std::cout << "no rule matches\n";
  for (const json& name : matched) std::cout << name.get<std::string>() << "\n";
  return Status::Ok();
}

Status ListFaults(const RuleArgs& args) {
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer,
                        CallHttp(args.http, "GET", "/v1/faults?limit=" + std::to_string(args.limit)));
  if (answer.status != 200) return AnswerStatus(answer, "listing faults");
  if (args.json) {
    std::cout << answer.body.dump(2) << "\n";
    return Status::Ok();
  }
  for (const json& stored : answer.body.value("faults", json::array())) {
    const json& fault = stored["fault"];
    std::cout << fault.value("id", "") << "\t" << fault.value("rule", "") << "\t"
              << fault.value("target", json::object()).value("destination", "") << "\t"
              << fault.value("err", json::object()).value("name", "") << ": "
              << fault.value("err", json::object()).value("message", "") << "\n";
  }
  return Status::Ok();
}

Status ShowFault(const RuleArgs& args) {
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer,
                        CallHttp(args.http, "GET", "/v1/faults/" + PathSegment(args.name)));
  if (answer.status != 200) return AnswerStatus(answer, "fault " + Quote(args.name));
  std::cout << answer.body.value("fault", json::object()).dump(2) << "\n";
  return Status::Ok();
}

Status Resubmit(const RuleArgs& args) {
  TARN_ASSIGN_OR_RETURN(HttpAnswer answer, CallHttp(args.http, "POST", "/v1/faults/resubmit",
                                                    json{{"ids", args.ids}}.dump()));
  if (answer.status != 200) return AnswerStatus(answer, "resubmitting");
  size_t failed = 0;
  for (const json& result : answer.body.value("results", json::array())) {
    const bool delivered = result.value("delivered", false);
    failed += delivered ? 0 : 1;
    std::cout << result.value("id", "") << ": "
              << (delivered ? std::string("delivered") : "not delivered: " + result.value("error", ""))
              << "\n";
  }
  if (failed > 0) return Status::Unavailable(std::to_string(failed) + " fault(s) not delivered");
  return Status::Ok();
}

// Adds a subcommand whose callback runs `run` with the shared arguments.
CLI::App* Sub(CLI::App& parent, const char* name, const char* help, std::shared_ptr<RuleArgs> args,
              Status (*run)(const RuleArgs&), int& exit_code) {
  return AddHttpSubcommand(parent, name, help, args->http, [args, run] { return run(*args); }, exit_code);
}

}  // namespace

void AddRuleCommands(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<RuleArgs>();
  auto* rule = root.add_subcommand("rule", "Routing rules: event patterns and their targets");
  rule->require_subcommand(1);
  auto* put = Sub(*rule, "put", "Create or replace a rule from its JSON", args, PutRule, exit_code);
  put->add_option("name", args->name, "The rule's name")->required();
  put->add_option("--file", args->file, "The rule as JSON (- for stdin, the default)");
  auto* list = Sub(*rule, "list", "Every rule", args, ListRules, exit_code);
  list->add_flag("--json", args->json, "Print the server's JSON");
  auto* remove = Sub(*rule, "delete", "Delete a rule", args, DeleteRule, exit_code);
  remove->add_option("name", args->name, "The rule's name")->required();
  auto* test = Sub(*rule, "test", "Which rules match an event", args, TestRules, exit_code);
  test->add_option("--event", args->file, "The event as JSON (- for stdin, the default)");

  auto* faults = root.add_subcommand("faults", "Events a target could not take");
  faults->require_subcommand(1);
  auto* flist = Sub(*faults, "list", "Every fault: id, rule, destination, error", args, ListFaults, exit_code);
  flist->add_option("--limit", args->limit, "At most this many")->check(CLI::Range(1, 100000));
  flist->add_flag("--json", args->json, "Print the server's JSON");
  auto* show = Sub(*faults, "show", "One fault with its event", args, ShowFault, exit_code);
  show->add_option("id", args->name, "The fault's id")->required();
  auto* resubmit = Sub(*faults, "resubmit", "Deliver faults' events again to their targets", args,
                       Resubmit, exit_code);
  resubmit->add_option("ids", args->ids, "Fault ids")->required();
}

}  // namespace tarn::app
