// Tarn's contract API: which subject holds each event type's contract.
#pragma once

#include "http/server.h"

namespace tarn::contracts {

class SchemaRegistry;

// Adds, on `server` (before Listen):
//   GET    /v1/contracts         {"contracts":[{"type","subject","version","id"}, ...]}: every
//                                bound type and every subject named like an event type;
//                                version and id are null while the subject has no live schema
//   GET    /v1/contracts/{type}  {"type","subject","version","id","schema"}; 404 when the
//                                type's subject holds no live schema
//   PUT    /v1/contracts/{type}  body {"subject": S}: binds the type to S; {"type","subject"}
//   DELETE /v1/contracts/{type}  back to the default subject (the type's name); {"type","subject"}
// Errors are Tarn's JSON errors ({"error":{"code","message"}}). `registry` must outlive the
// server and the io_context's pending work.
void AddContractRoutes(http::Server& server, SchemaRegistry& registry);

}  // namespace tarn::contracts
