#include "kafka/request_header.h"

namespace tarn::kafka {

Result<RequestHeader> RequestHeader::Decode(WireReader& in) {
  RequestHeader header;
  header.api_key = static_cast<ApiKey>(in.ReadInt16());
  header.api_version = in.ReadInt16();
  header.correlation_id = in.ReadInt32();
  header.client_id = in.ReadNullableString(/*compact=*/false);
  if (IsFlexible(header.api_key, header.api_version)) in.SkipTaggedFields();
  if (!in.ok()) return Error(in.status().WithContext("request header"));
  return header;
}

void RequestHeader::Encode(WireWriter& out) const {
  out.WriteInt16(static_cast<int16_t>(api_key));
  out.WriteInt16(api_version);
  out.WriteInt32(correlation_id);
  out.WriteNullableString(client_id, /*compact=*/false);
  if (IsFlexible(api_key, api_version)) out.WriteEmptyTaggedFields();
}

bool HasFlexibleResponseHeader(ApiKey key, int16_t version) {
  return key != ApiKey::kApiVersions && IsFlexible(key, version);
}

void EncodeResponseHeader(WireWriter& out, int32_t correlation_id, bool flexible_header) {
  out.WriteInt32(correlation_id);
  if (flexible_header) out.WriteEmptyTaggedFields();
}

Result<int32_t> DecodeResponseHeader(WireReader& in, bool flexible_header) {
  const int32_t correlation_id = in.ReadInt32();
  if (flexible_header) in.SkipTaggedFields();
  if (!in.ok()) return Error(in.status().WithContext("response header"));
  return correlation_id;
}

}  // namespace tarn::kafka
