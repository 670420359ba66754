#include "contracts/registry_routes.h"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "contracts/schema_registry.h"
#include "net/asio.h"

namespace tarn::contracts {
namespace {

using http::Request;
using http::Response;
using OrderedJson = nlohmann::ordered_json;

Response JsonResponse(const OrderedJson& body, int status = 200) {
  return Response{.status = status,
                  .content_type = kRegistryContentType,
                  .body = body.dump(-1, ' ', false, OrderedJson::error_handler_t::replace)};
}

Response ErrorResponse(RegistryErrorCode code, std::string message) {
  return RegistryErrorResponse(RegistryError{code, std::move(message)});
}

bool QueryFlag(const Request& request, const char* name) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return false;
  std::string value = it->second;
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value == "true" || value == "1";
}

const std::string& Param(const Request& request, const char* name) {
  return request.params.at(name);
}

// The JSON object in a request body, or the response refusing it (415 for a content type the
// API does not take, 400 for a body that is not a JSON object).
std::variant<nlohmann::json, Response> BodyObject(const Request& request) {
  if (auto type = request.headers.find("Content-Type"); type != request.headers.end()) {
    std::string media = type->second.substr(0, type->second.find(';'));
    while (!media.empty() && media.back() == ' ') media.pop_back();
    for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (media != "application/vnd.schemaregistry.v1+json" &&
        media != "application/vnd.schemaregistry+json" && media != "application/json" &&
        media != "application/octet-stream" && !media.empty()) {
      return ErrorResponse(RegistryErrorCode::kUnsupportedMediaType,
                           "HTTP 415 Unsupported Media Type: send application/"
                           "vnd.schemaregistry.v1+json or application/json");
    }
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object()) {
    return ErrorResponse(RegistryErrorCode::kBadRequest,
                         body.is_discarded() ? "The request body is not valid JSON"
                                             : "The request body must be a JSON object");
  }
  return body;
}

// The schema request in a register, lookup or compatibility body.
std::variant<SchemaRequest, Response> ParseSchemaRequest(const Request& request) {
  auto body = BodyObject(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  const nlohmann::json& object = std::get<nlohmann::json>(body);
  SchemaRequest out;
  auto schema = object.find("schema");
  if (schema == object.end() || !schema->is_string()) {
    return ErrorResponse(RegistryErrorCode::kInvalidSchema,
                         "Invalid schema: the request needs the schema as a \"schema\" string");
  }
  out.schema = schema->get<std::string>();
  if (auto type = object.find("schemaType"); type != object.end() && !type->is_null()) {
    if (!type->is_string()) {
      return ErrorResponse(RegistryErrorCode::kUnprocessableEntity,
                           "schemaType must be a string");
    }
    out.schema_type = type->get<std::string>();
  }
  if (auto references = object.find("references");
      references != object.end() && !references->is_null()) {
    if (!references->is_array()) {
      return ErrorResponse(RegistryErrorCode::kUnprocessableEntity,
                           "references must be an array");
    }
    out.has_references = !references->empty();
  }
  return out;
}

OrderedJson VersionJson(const SubjectVersion& version, const StoredSchema* schema) {
  return OrderedJson{{"subject", version.subject},
                     {"version", version.version},
                     {"id", version.id},
                     {"schemaType", schema ? schema->schema_type : "JSON"},
                     {"schema", schema ? schema->schema : ""}};
}

std::optional<int32_t> ParseId(const std::string& text) {
  int32_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// The stored schema with the id in the path, or the 40403 response.
std::variant<const StoredSchema*, Response> SchemaById(const SchemaRegistry& registry,
                                                       const Request& request) {
  const std::string& text = Param(request, "id");
  std::optional<int32_t> id = ParseId(text);
  const StoredSchema* schema = id ? registry.state().FindSchema(*id) : nullptr;
  if (schema == nullptr) {
    return ErrorResponse(RegistryErrorCode::kSchemaNotFound, fmt::format("Schema {} not found", text));
  }
  return schema;
}

std::optional<std::string> SubjectOf(const Request& request) {
  auto it = request.params.find("subject");
  if (it == request.params.end()) return std::nullopt;
  return it->second;
}

// ---- subjects and versions ----------------------------------------------------------------

void AddSubjectRoutes(http::Server& server, SchemaRegistry& registry) {
  server.Route("GET", "/subjects", [&registry](const Request& request) {
    const std::string prefix =
        request.query.count("subjectPrefix") ? request.query.at("subjectPrefix") : "";
    OrderedJson names = OrderedJson::array();
    for (const std::string& name : registry.state().Subjects(QueryFlag(request, "deleted"))) {
      if (name.starts_with(prefix)) names.push_back(name);
    }
    return JsonResponse(names);
  });

  server.Route("GET", "/subjects/{subject}/versions", [&registry](const Request& request) {
    auto versions =
        registry.state().Versions(Param(request, "subject"), QueryFlag(request, "deleted"));
    if (!versions) return RegistryErrorResponse(versions.error());
    OrderedJson numbers = OrderedJson::array();
    for (const SubjectVersion& version : *versions) numbers.push_back(version.version);
    return JsonResponse(numbers);
  });

  auto find_version = [&registry](const Request& request) {
    return registry.state().FindVersion(Param(request, "subject"), Param(request, "version"),
                                        QueryFlag(request, "deleted"));
  };
  server.Route("GET", "/subjects/{subject}/versions/{version}",
               [&registry, find_version](const Request& request) {
                 auto version = find_version(request);
                 if (!version) return RegistryErrorResponse(version.error());
                 return JsonResponse(
                     VersionJson(*version, registry.state().FindSchema(version->id)));
               });
  server.Route("GET", "/subjects/{subject}/versions/{version}/schema",
               [&registry, find_version](const Request& request) {
                 auto version = find_version(request);
                 if (!version) return RegistryErrorResponse(version.error());
                 const StoredSchema* schema = registry.state().FindSchema(version->id);
                 return Response{.content_type = kRegistryContentType,
                                 .body = schema ? schema->schema : "{}"};
               });
  server.Route("GET", "/subjects/{subject}/versions/{version}/referencedby",
               [find_version](const Request& request) {
                 auto version = find_version(request);
                 if (!version) return RegistryErrorResponse(version.error());
                 return JsonResponse(OrderedJson::array());  // references are not supported
               });

  server.RouteAsync("POST", "/subjects/{subject}/versions",
                    [&registry](Request request) -> Awaitable<Response> {
                      auto parsed = ParseSchemaRequest(request);
                      if (auto* refused = std::get_if<Response>(&parsed)) co_return *refused;
                      RegistryResult<int32_t> id = co_await registry.Register(
                          Param(request, "subject"), std::get<SchemaRequest>(std::move(parsed)));
                      if (!id) co_return RegistryErrorResponse(id.error());
                      co_return JsonResponse(OrderedJson{{"id", *id}});
                    });

  server.Route("POST", "/subjects/{subject}", [&registry](const Request& request) {
    auto parsed = ParseSchemaRequest(request);
    if (auto* refused = std::get_if<Response>(&parsed)) return *refused;
    RegistryResult<JsonSchema> schema = ParseRequestSchema(std::get<SchemaRequest>(parsed));
    if (!schema) return RegistryErrorResponse(schema.error());
    auto found = registry.state().Lookup(Param(request, "subject"), *schema,
                                         QueryFlag(request, "deleted"));
    if (!found) return RegistryErrorResponse(found.error());
    return JsonResponse(VersionJson(*found, registry.state().FindSchema(found->id)));
  });

  server.RouteAsync("DELETE", "/subjects/{subject}",
                    [&registry](Request request) -> Awaitable<Response> {
                      auto deleted = co_await registry.DeleteSubject(
                          Param(request, "subject"), QueryFlag(request, "permanent"));
                      if (!deleted) co_return RegistryErrorResponse(deleted.error());
                      co_return JsonResponse(OrderedJson(*deleted));
                    });

  server.RouteAsync("DELETE", "/subjects/{subject}/versions/{version}",
                    [&registry](Request request) -> Awaitable<Response> {
                      auto deleted = co_await registry.DeleteVersion(
                          Param(request, "subject"), Param(request, "version"),
                          QueryFlag(request, "permanent"));
                      if (!deleted) co_return RegistryErrorResponse(deleted.error());
                      co_return JsonResponse(OrderedJson(*deleted));
                    });
}

// ---- schemas by id ------------------------------------------------------------------------

void AddSchemaRoutes(http::Server& server, SchemaRegistry& registry) {
  server.Route("GET", "/schemas/types", [](const Request&) {
    return JsonResponse(OrderedJson::array({"JSON"}));
  });
  server.Route("GET", "/schemas/ids/{id}", [&registry](const Request& request) {
    auto found = SchemaById(registry, request);
    if (auto* refused = std::get_if<Response>(&found)) return *refused;
    const StoredSchema& schema = *std::get<const StoredSchema*>(found);
    return JsonResponse(OrderedJson{{"schemaType", schema.schema_type}, {"schema", schema.schema}});
  });
  server.Route("GET", "/schemas/ids/{id}/schema", [&registry](const Request& request) {
    auto found = SchemaById(registry, request);
    if (auto* refused = std::get_if<Response>(&found)) return *refused;
    return Response{.content_type = kRegistryContentType,
                    .body = std::get<const StoredSchema*>(found)->schema};
  });
  auto uses = [&registry](const Request& request, bool subjects_only) {
    auto found = SchemaById(registry, request);
    if (auto* refused = std::get_if<Response>(&found)) return *refused;
    const bool include_deleted = QueryFlag(request, "deleted");
    OrderedJson out = OrderedJson::array();
    const StoredSchema& schema = *std::get<const StoredSchema*>(found);
    for (const auto& [subject, number] : registry.state().UsesOf(schema.id)) {
      auto version = registry.state().FindVersion(subject, std::to_string(number), true);
      if (!version || (version->deleted && !include_deleted)) continue;
      if (subjects_only) {
        if (out.empty() || out.back() != subject) out.push_back(subject);
      } else {
        out.push_back(OrderedJson{{"subject", subject}, {"version", number}});
      }
    }
    return JsonResponse(out);
  };
  server.Route("GET", "/schemas/ids/{id}/versions",
               [uses](const Request& request) { return uses(request, false); });
  server.Route("GET", "/schemas/ids/{id}/subjects",
               [uses](const Request& request) { return uses(request, true); });
}

// ---- compatibility ------------------------------------------------------------------------

void AddCompatibilityRoutes(http::Server& server, SchemaRegistry& registry) {
  auto test = [&registry](const Request& request) {
    auto parsed = ParseSchemaRequest(request);
    if (auto* refused = std::get_if<Response>(&parsed)) return *refused;
    std::optional<std::string> version;
    if (auto it = request.params.find("version"); it != request.params.end()) {
      version = it->second;
    }
    auto messages = registry.TestCompatibility(Param(request, "subject"), version,
                                               std::get<SchemaRequest>(parsed));
    if (!messages) return RegistryErrorResponse(messages.error());
    OrderedJson body = {{"is_compatible", messages->empty()}};
    if (QueryFlag(request, "verbose")) body["messages"] = *messages;
    return JsonResponse(body);
  };
  server.Route("POST", "/compatibility/subjects/{subject}/versions/{version}", test);
  server.Route("POST", "/compatibility/subjects/{subject}/versions", test);
}

// ---- config and mode ----------------------------------------------------------------------

void AddConfigRoutes(http::Server& server, SchemaRegistry& registry) {
  auto get = [&registry](const Request& request) {
    std::optional<std::string> subject = SubjectOf(request);
    std::optional<CompatibilityLevel> level = registry.state().ConfiguredLevel(subject);
    if (!level) {
      if (subject && !QueryFlag(request, "defaultToGlobal")) {
        return ErrorResponse(RegistryErrorCode::kSubjectCompatibilityNotConfigured,
                             fmt::format("Subject '{}' does not have subject-level "
                                         "compatibility configured",
                                         *subject));
      }
      level = registry.state().ConfiguredLevel(std::nullopt).value_or(kDefaultCompatibilityLevel);
    }
    return JsonResponse(OrderedJson{{"compatibilityLevel", CompatibilityLevelName(*level)}});
  };
  auto put = [&registry](Request request) -> Awaitable<Response> {
    auto body = BodyObject(request);
    if (auto* refused = std::get_if<Response>(&body)) co_return *refused;
    const nlohmann::json& object = std::get<nlohmann::json>(body);
    auto level = object.find("compatibility");
    if (level == object.end()) level = object.find("compatibilityLevel");
    std::string name = level != object.end() && level->is_string() ? level->get<std::string>() : "";
    auto set = co_await registry.SetLevel(SubjectOf(request), name);
    if (!set) co_return RegistryErrorResponse(set.error());
    co_return JsonResponse(OrderedJson{{"compatibility", CompatibilityLevelName(*set)}});
  };
  auto remove = [&registry](Request request) -> Awaitable<Response> {
    auto removed = co_await registry.DeleteLevel(SubjectOf(request));
    if (!removed) co_return RegistryErrorResponse(removed.error());
    co_return JsonResponse(OrderedJson{{"compatibilityLevel", CompatibilityLevelName(*removed)}});
  };
  for (const char* pattern : {"/config", "/config/{subject}"}) {
    server.Route("GET", pattern, get);
    server.RouteAsync("PUT", pattern, put);
    server.RouteAsync("DELETE", pattern, remove);
  }

  // Only READWRITE: this registry is its own primary and imports nothing.
  server.Route("GET", "/mode", [](const Request&) {
    return JsonResponse(OrderedJson{{"mode", "READWRITE"}});
  });
  server.Route("PUT", "/mode", [](const Request& request) {
    auto body = BodyObject(request);
    if (auto* refused = std::get_if<Response>(&body)) return *refused;
    const nlohmann::json& object = std::get<nlohmann::json>(body);
    auto mode = object.find("mode");
    if (mode == object.end() || *mode != "READWRITE") {
      return RegistryErrorResponse(RegistryError{
          RegistryErrorCode::kUnprocessableEntity,
          "Invalid mode. This registry supports only READWRITE"});
    }
    return JsonResponse(OrderedJson{{"mode", "READWRITE"}});
  });
}

}  // namespace

Response RegistryErrorResponse(const RegistryError& error) {
  OrderedJson body = {{"error_code", static_cast<int>(error.code)}, {"message", error.message}};
  return JsonResponse(body, error.http_status());
}

void AddSchemaRegistryRoutes(http::Server& server, SchemaRegistry& registry) {
  AddSubjectRoutes(server, registry);
  AddSchemaRoutes(server, registry);
  AddCompatibilityRoutes(server, registry);
  AddConfigRoutes(server, registry);
}

}  // namespace tarn::contracts
