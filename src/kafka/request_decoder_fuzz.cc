// Fuzzes request decoding. The input is a request frame without its size prefix: a header, then
// a body. Whatever the bytes, decoding fails with a Status or succeeds, without crashing or
// allocating more than the input justifies; and what it decodes encodes back to bytes that
// decode to the same request.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "base/bytes.h"
#include "base/check.h"
#include "kafka/request_decoder.h"
#include "kafka/request_header.h"
#include "kafka/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tarn;
  using namespace tarn::kafka;

  Bytes frame(data, data + size);  // a mutable copy: Produce's records are views into it
  WireReader in(frame);
  const Result<RequestHeader> header = RequestHeader::Decode(in);
  if (!header.has_value()) return 0;
  const Result<AnyRequest> request = DecodeRequest(*header, in);
  if (!request.has_value()) return 0;
  // ApiVersions above our max comes back unread: there is nothing to round trip.
  if (!IsSupported(header->api_key, header->api_version)) return 0;

  Bytes encoded;
  WireWriter out(encoded);
  std::visit([&](const auto& decoded) { decoded.Encode(out, header->api_version); }, *request);
  WireReader again(encoded);
  const Result<AnyRequest> redecoded = DecodeRequest(*header, again);
  TARN_CHECK_MSG(redecoded.has_value(), "a decoded request did not survive re-encoding");
  TARN_CHECK_MSG(*redecoded == *request, "re-encoding changed a decoded request");
  return 0;
}
