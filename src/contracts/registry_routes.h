// The Schema Registry REST API (Confluent's, for JSON Schema) on Tarn's HTTP server.
#pragma once

#include "contracts/registry_error.h"
#include "http/message.h"
#include "http/server.h"

namespace tarn::contracts {

class SchemaRegistry;

// The content type of every registry response.
inline constexpr char kRegistryContentType[] = "application/vnd.schemaregistry.v1+json";

// Adds the registry's routes to `server` (call before Listen):
//   GET    /subjects[?deleted=true&subjectPrefix=P]           GET /schemas/types
//   GET    /subjects/{s}/versions[?deleted=true]              GET /schemas/ids/{id}
//   GET    /subjects/{s}/versions/{v}[?deleted=true]          GET /schemas/ids/{id}/schema
//   GET    /subjects/{s}/versions/{v}/schema                  GET /schemas/ids/{id}/versions
//   GET    /subjects/{s}/versions/{v}/referencedby            GET /schemas/ids/{id}/subjects
//   POST   /subjects/{s}/versions        register             GET|PUT|DELETE /config
//   POST   /subjects/{s}[?deleted=true]  look up              GET|PUT|DELETE /config/{s}
//   DELETE /subjects/{s}[?permanent=true]                     GET|PUT /mode (READWRITE only)
//   DELETE /subjects/{s}/versions/{v}[?permanent=true]
//   POST   /compatibility/subjects/{s}/versions[/{v}][?verbose=true]
// {v} is a version number, "latest" or -1. Bodies and errors are Confluent's: errors are
// {"error_code": 40401, "message": "..."} with the HTTP status of the code's first three
// digits. Request bodies may be sent as application/vnd.schemaregistry.v1+json,
// application/vnd.schemaregistry+json, application/json or application/octet-stream (or with
// no Content-Type); others get 415. `registry` must outlive the server and the io_context's
// pending work.
void AddSchemaRegistryRoutes(http::Server& server, SchemaRegistry& registry);

// The one mapping from a registry error to an HTTP response.
http::Response RegistryErrorResponse(const RegistryError& error);

}  // namespace tarn::contracts
