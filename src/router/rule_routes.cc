#include "router/rule_routes.h"

#include <nlohmann/json.hpp>

#include "net/asio.h"
#include "router/faults.h"
#include "router/router.h"
#include "router/rule_store.h"

namespace tarn::router {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;

Response JsonAnswer(int status, const json& body) {
  return Response{.status = status,
                  .content_type = "application/json",
                  .body = body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

}  // namespace

void AddRuleRoutes(http::Server& server, RuleStore& store, Router& router) {
  server.Route("GET", "/v1/rules", [&store](const Request&) {
    json rules = json::array();
    for (const auto& [name, rule] : store.rules()) rules.push_back(RuleToJson(rule));
    return JsonAnswer(200, json{{"rules", std::move(rules)}});
  });

  server.Route("GET", "/v1/rules/{name}", [&store](const Request& request) {
    const std::string& name = request.params.at("name");
    const Rule* rule = store.Find(name);
    if (!rule) return http::JsonError(404, "not_found", "no rule named \"" + name + "\"");
    return JsonAnswer(200, RuleToJson(*rule));
  });

  server.RouteAsync("PUT", "/v1/rules/{name}", [&store](Request request) -> Awaitable<Response> {
    const std::string name = request.params.at("name");
    json body = json::parse(request.body, nullptr, false);
    if (!body.is_object()) {
      co_return http::JsonError(400, "invalid_json", "the body must be a rule as a JSON object");
    }
    if (auto given = body.find("name"); given != body.end() && *given != name) {
      co_return http::JsonError(400, "invalid_argument",
                                "the rule's name differs from the one in the path");
    }
    body["name"] = name;
    Result<Rule> rule = RuleFromJson(body);
    if (!rule) co_return http::StatusResponse(rule.error());
    json shown = RuleToJson(*rule);
    Result<bool> created = co_await store.Put(std::move(*rule));
    if (!created) co_return http::StatusResponse(created.error());
    co_return JsonAnswer(*created ? 201 : 200, shown);
  });

  server.RouteAsync("DELETE", "/v1/rules/{name}", [&store](Request request) -> Awaitable<Response> {
    const std::string name = request.params.at("name");
    Status deleted = co_await store.Delete(name);
    if (!deleted.ok()) co_return http::StatusResponse(deleted);
    co_return JsonAnswer(200, json{{"deleted", name}});
  });

  server.Route("POST", "/v1/rules/test", [&router](const Request& request) {
    json event = json::parse(request.body, nullptr, false);
    if (!event.is_object()) {
      return http::JsonError(400, "invalid_json", "the body must be an event as a JSON object");
    }
    return JsonAnswer(200, json{{"matched", router.Test(event)}});
  });

  server.Route("GET", "/v1/router/lanes", [&router](const Request&) {
    json lanes = json::array();
    for (const LaneStatus& lane : router.Lanes()) {
      json positions = json::object();
      for (const auto& [partition, offset] : lane.positions) positions[std::to_string(partition)] = offset;
      lanes.push_back(json{{"destination", lane.destination},
                           {"rules", lane.rules},
                           {"positions", std::move(positions)},
                           {"lag", lane.lag},
                           {"delivered", lane.delivered},
                           {"faulted", lane.faulted},
                           {"last_error", lane.last_error}});
    }
    return JsonAnswer(200, json{{"lanes", std::move(lanes)}});
  });
}

namespace {

json FaultJson(const StoredFault& fault) {
  return json{{"partition", fault.partition}, {"offset", fault.offset}, {"fault", fault.fault}};
}

}  // namespace

void AddFaultRoutes(http::Server& server, FaultDesk& faults) {
  server.RouteAsync("GET", "/v1/faults", [&faults](Request request) -> Awaitable<Response> {
    size_t limit = 1000;
    if (auto it = request.query.find("limit"); it != request.query.end()) {
      char* end = nullptr;
      unsigned long long parsed = std::strtoull(it->second.c_str(), &end, 10);
      if (it->second.empty() || *end != '\0' || parsed == 0 || parsed > 100'000) {
        co_return http::JsonError(400, "invalid_argument", "limit must be a number in [1, 100000]");
      }
      limit = parsed;
    }
    Result<std::vector<StoredFault>> listed = co_await faults.List(limit);
    if (!listed) co_return http::StatusResponse(listed.error());
    json out = json::array();
    for (const StoredFault& fault : *listed) out.push_back(FaultJson(fault));
    co_return JsonAnswer(200, json{{"faults", std::move(out)}});
  });

  server.RouteAsync("GET", "/v1/faults/{id}", [&faults](Request request) -> Awaitable<Response> {
    Result<StoredFault> found = co_await faults.Find(request.params.at("id"));
    if (!found) co_return http::StatusResponse(found.error());
    co_return JsonAnswer(200, FaultJson(*found));
  });

  server.RouteAsync("POST", "/v1/faults/resubmit", [&faults](Request request) -> Awaitable<Response> {
    json body = json::parse(request.body, nullptr, false);
    auto ids = body.is_object() ? body.find("ids") : body.end();
    if (!body.is_object() || ids == body.end() || !ids->is_array() || ids->empty()) {
      co_return http::JsonError(400, "invalid_argument", "the body must be {\"ids\": [fault ids]}");
    }
    std::vector<std::string> wanted;
    for (const json& id : *ids) {
      if (!id.is_string()) co_return http::JsonError(400, "invalid_argument", "fault ids are strings");
      wanted.push_back(id.get<std::string>());
    }
    Result<std::vector<Resubmission>> done = co_await faults.Resubmit(std::move(wanted));
    if (!done) co_return http::StatusResponse(done.error());
    json results = json::array();
    for (const Resubmission& outcome : *done) {
      results.push_back(json{{"id", outcome.id}, {"delivered", outcome.delivered}, {"error", outcome.error}});
    }
    co_return JsonAnswer(200, json{{"results", std::move(results)}});
  });
}

}  // namespace tarn::router
