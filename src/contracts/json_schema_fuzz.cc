// Feeds a schema, as a registry client could send it, and a document to validate against it, to
// the parser, the validator and the compatibility checker. Nothing may crash, recurse without
// bound or run away; and a schema must always be able to read its own data.
// Input: the schema text, optionally followed by a NUL byte and the document's text.
// Seeds (json_schema_fuzz_corpus/): schemas and documents from the unit tests.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "contracts/compatibility_checker.h"
#include "contracts/json_schema.h"
#include "contracts/schema_validator.h"

namespace {

constexpr size_t kMaxInput = 64 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view schema_text = input.substr(0, nul);
  std::string_view document_text =
      nul == std::string_view::npos ? std::string_view("null") : input.substr(nul + 1);

  tarn::Result<tarn::contracts::JsonSchema> schema =
      tarn::contracts::JsonSchema::Parse(schema_text);
  if (!schema) return 0;
  if (!tarn::contracts::CheckReadable(*schema, *schema).empty()) std::abort();

  tarn::contracts::Json document =
      tarn::contracts::Json::parse(document_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return 0;
  tarn::contracts::SchemaValidator validator(*schema);
  (void)validator.Validate(document);
  // The document may be a schema too: compare the two both ways.
  if (tarn::Result<tarn::contracts::JsonSchema> other =
          tarn::contracts::JsonSchema::FromJson(document)) {
    (void)tarn::contracts::CheckReadable(*schema, *other);
    (void)tarn::contracts::CheckReadable(*other, *schema);
  }
  return 0;
}
