// The rules API on Tarn's HTTP server.
#pragma once

#include "http/server.h"

namespace tarn::router {

class FaultDesk;
class RuleStore;
class Router;

// Adds (before Listen):
//   GET    /v1/rules               {"rules":[<rule>, ...]} sorted by name
//   GET    /v1/rules/{name}        <rule>; 404
//   PUT    /v1/rules/{name}        body <rule> (its name, if given, must be {name}): 201 created,
//                                  200 replaced, with the rule; 400 names what is wrong
//   DELETE /v1/rules/{name}        {"deleted": name}; 404
//   POST   /v1/rules/test          body an event: {"matched":[rule names]}
//   GET    /v1/router/lanes        {"lanes":[{"destination","rules","positions","lag",
//                                  "delivered","faulted","last_error"}]}
// Errors are Tarn's JSON errors. The store and router must outlive the server's serving.
void AddRuleRoutes(http::Server& server, RuleStore& store, Router& router);

// Adds:
//   GET  /v1/faults[?limit=N]      {"faults":[{"partition","offset","fault":<fault event>}]}
//   GET  /v1/faults/{id}           {"partition","offset","fault"}; 404
//   POST /v1/faults/resubmit       body {"ids":[...]}: delivers each fault's event again to its
//                                  target: {"results":[{"id","delivered","error"}]}; 404 for
//                                  an unknown id (nothing is resubmitted)
void AddFaultRoutes(http::Server& server, FaultDesk& faults);

}  // namespace tarn::router
