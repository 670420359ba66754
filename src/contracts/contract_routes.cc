#include "contracts/contract_routes.h"

#include <nlohmann/json.hpp>
#include <set>

#include "contracts/schema_registry.h"
#include "events/envelope.h"
#include "net/asio.h"

namespace tarn::contracts {
namespace {

using http::Request;
using http::Response;
using OrderedJson = nlohmann::ordered_json;

Response JsonOk(const OrderedJson& body) {
  return Response{.status = 200,
                  .content_type = "application/json",
                  .body = body.dump(-1, ' ', false, OrderedJson::error_handler_t::replace)};
}

Response ToJsonError(const RegistryError& error) {
  const int status = error.http_status();
  const char* code = status == 404 ? "not_found" : status == 422 ? "invalid_argument" : "internal";
  return http::JsonError(status, code, error.message);
}

// The contract of `type` as the API shows it: subject, and the latest live version's number and
// id (null when there is none).
OrderedJson ContractJson(const RegistryState& state, const std::string& type) {
  const std::string& subject = state.SubjectForType(type);
  OrderedJson out = {{"type", type}, {"subject", subject}, {"version", nullptr}, {"id", nullptr}};
  if (RegistryResult<SubjectVersion> latest = state.FindVersion(subject, "latest", false)) {
    out["version"] = latest->version;
    out["id"] = latest->id;
  }
  return out;
}

}  // namespace

void AddContractRoutes(http::Server& server, SchemaRegistry& registry) {
  server.Route("GET", "/v1/contracts", [&registry](const Request&) {
    const RegistryState& state = registry.state();
    std::set<std::string> types;
    for (const auto& [type, subject] : state.ContractBindings()) types.insert(type);
    for (const std::string& subject : state.Subjects(false)) {
      if (events::ValidateEventType(subject).ok()) types.insert(subject);
    }
    OrderedJson contracts = OrderedJson::array();
    for (const std::string& type : types) contracts.push_back(ContractJson(state, type));
    return JsonOk(OrderedJson{{"contracts", std::move(contracts)}});
  });

  server.Route("GET", "/v1/contracts/{type}", [&registry](const Request& request) {
    const std::string& type = request.params.at("type");
    const RegistryState& state = registry.state();
    const std::string& subject = state.SubjectForType(type);
    RegistryResult<SubjectVersion> latest = state.FindVersion(subject, "latest", false);
    if (!latest) {
      return http::JsonError(404, "not_found",
                             "event type " + type + " has no contract: subject \"" + subject +
                                 "\" holds no schema");
    }
    OrderedJson out = ContractJson(state, type);
    const StoredSchema* stored = state.FindSchema(latest->id);
    out["schema"] = stored ? stored->schema : "";
    return JsonOk(out);
  });

  server.RouteAsync("PUT", "/v1/contracts/{type}", [&registry](Request request) -> Awaitable<Response> {
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    auto subject = body.is_object() ? body.find("subject") : body.end();
    if (!body.is_object() || subject == body.end() || !subject->is_string()) {
      co_return http::JsonError(400, "invalid_argument",
                                "the body must be a JSON object with a \"subject\" string");
    }
    const std::string type = request.params.at("type");
    RegistryResult<std::string> bound = co_await registry.BindContract(type, subject->get<std::string>());
    if (!bound) co_return ToJsonError(bound.error());
    co_return JsonOk(OrderedJson{{"type", type}, {"subject", *bound}});
  });

  server.RouteAsync("DELETE", "/v1/contracts/{type}", [&registry](Request request) -> Awaitable<Response> {
    const std::string type = request.params.at("type");
    RegistryResult<std::string> bound = co_await registry.BindContract(type, type);
    if (!bound) co_return ToJsonError(bound.error());
    co_return JsonOk(OrderedJson{{"type", type}, {"subject", *bound}});
  });
}

}  // namespace tarn::contracts
