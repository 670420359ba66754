// The one error model: a code and a message. OK carries no allocation.
// Library exceptions are caught at the library's edge and turned into a Status.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace tarn {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong; retrying the same input fails again
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // creating something that exists
  kOutOfRange,          // a position outside what exists (offset past the end, ...)
  kCorruption,          // bytes on disk or on the wire fail their checks
  kIoError,             // the operating system refused (errno in the message)
  kUnsupported,         // valid but not something we implement (version, codec)
  kResourceExhausted,   // a configured limit was hit (size, count)
  kFailedPrecondition,  // the system is not in a state that allows the call
  kUnavailable,         // try again later (shutting down, loading)
  kTimeout,             // a deadline passed
  kInternal,            // a bug: an invariant did not hold
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {StatusCode::kAlreadyExists, std::move(msg)}; }
  static Status OutOfRange(std::string msg) { return {StatusCode::kOutOfRange, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status IoError(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }
  // An IoError naming the failed call and errno's text: "open /x/y: No such file or directory".
  static Status FromErrno(std::string_view what, int err);
  static Status Unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) { return {StatusCode::kResourceExhausted, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) { return {StatusCode::kFailedPrecondition, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {StatusCode::kTimeout, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const;
  // "Corruption: bad CRC at offset 12"
  std::string ToString() const;
  // A copy with "context: " put before the message; OK stays OK.
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& other) const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;  // null when OK; shared so copies are cheap
};

}  // namespace tarn
