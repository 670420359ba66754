#include "kafka/error_code.h"

namespace tarn::kafka {

std::string_view ErrorName(ErrorCode code) {
  switch (code) {
#define TARN_KAFKA_ERROR_CODE_NAME(constant, number, name) \
  case ErrorCode::constant:                                \
    return name;
    TARN_KAFKA_ERROR_CODES(TARN_KAFKA_ERROR_CODE_NAME)
#undef TARN_KAFKA_ERROR_CODE_NAME
  }
  return "UNKNOWN";
}

ErrorCode ToErrorCode(const Status& status) {
  // clang-format off
  switch (status.code()) {
    case StatusCode::kOk: return ErrorCode::kNone;
    case StatusCode::kCorruption: return ErrorCode::kCorruptMessage;
    case StatusCode::kNotFound: return ErrorCode::kUnknownTopicOrPartition;
    case StatusCode::kOutOfRange: return ErrorCode::kOffsetOutOfRange;
    case StatusCode::kResourceExhausted: return ErrorCode::kMessageTooLarge;
    case StatusCode::kInvalidArgument: return ErrorCode::kInvalidRequest;
    case StatusCode::kAlreadyExists: return ErrorCode::kTopicAlreadyExists;
    case StatusCode::kUnsupported: return ErrorCode::kUnsupportedVersion;
    case StatusCode::kTimeout: return ErrorCode::kRequestTimedOut;
    default: return ErrorCode::kUnknownServerError;
  }
  // clang-format on
}

}  // namespace tarn::kafka
