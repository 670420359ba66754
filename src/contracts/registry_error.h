// The schema registry's errors, numbered as Confluent Schema Registry numbers them.
//
// Why not a Status: clients switch on these exact numbers (40401 subject not found, 40403 schema
// not found, ...), and only the registry knows which one a failure is; a Status code would lose
// the distinction between, say, a missing subject and a missing version. The HTTP layer turns
// an error into a response in one place (RegistryErrorResponse in registry_routes.cc).
#pragma once

#include <expected>
#include <string>

namespace tarn::contracts {

enum class RegistryErrorCode : int {
  kBadRequest = 400,                          // a request body that is not the expected JSON
  kIncompatibleSchema = 409,                  // register: breaks the subject's compatibility
  kUnsupportedMediaType = 415,                // a Content-Type the API does not take
  kUnprocessableEntity = 422,                 // a body with fields of the wrong type
  kSubjectNotFound = 40401,
  kVersionNotFound = 40402,
  kSchemaNotFound = 40403,
  kSubjectSoftDeleted = 40404,                // soft-deleting it again
  kSubjectNotSoftDeleted = 40405,             // permanent delete before the soft delete
  kVersionSoftDeleted = 40406,
  kVersionNotSoftDeleted = 40407,
  kSubjectCompatibilityNotConfigured = 40408,
  kInvalidSchema = 42201,                     // not a JSON Schema we accept, or not JSON at all
  kInvalidVersion = 42202,                    // not 1..2^31-1, -1 or "latest"
  kInvalidCompatibilityLevel = 42203,
  kStoreError = 50001,                        // the _schemas log refused or failed a write
};

struct RegistryError {
  RegistryErrorCode code;
  std::string message;

  // The HTTP status: the code itself, or its first three digits for five-digit codes.
  int http_status() const {
    int value = static_cast<int>(code);
    return value >= 10000 ? value / 100 : value;
  }
};

template <typename T>
using RegistryResult = std::expected<T, RegistryError>;

inline std::unexpected<RegistryError> RegistryFailure(RegistryErrorCode code, std::string message) {
  return std::unexpected<RegistryError>(RegistryError{code, std::move(message)});
}

}  // namespace tarn::contracts
