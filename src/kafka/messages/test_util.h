// Helpers for tests of the message codecs (not for production code).
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "kafka/wire.h"

namespace tarn::kafka::message_testing {

template <typename Message>
Bytes EncodeBody(const Message& message, int16_t version) {
  Bytes out;
  WireWriter writer(out);
  message.Encode(writer, version);
  return out;
}

// Decodes exactly `bytes` (mutable, as a request frame is): bytes left over are an error.
template <typename Message>
Result<Message> DecodeWhole(Bytes& bytes, int16_t version) {
  WireReader reader(bytes);
  Result<Message> decoded = Message::Decode(reader, version);
  if (decoded.has_value() && reader.remaining() != 0) {
    return Error(Status::Corruption(std::to_string(reader.remaining()) + " bytes left over"));
  }
  return decoded;
}

}  // namespace tarn::kafka::message_testing
