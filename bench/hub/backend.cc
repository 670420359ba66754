#include "hub/backend.h"

#include <algorithm>

namespace tarn::bench {

// Defined by each backend's file; a file is left out of the build when its library is missing.
std::unique_ptr<Backend> MakeKafkaBackend();
std::unique_ptr<Backend> MakeHttpBackend();
#if TARN_BENCH_HAVE_REDIS
std::unique_ptr<Backend> MakeRedisBackend();
#endif
#if TARN_BENCH_HAVE_NATS
std::unique_ptr<Backend> MakeNatsBackend();
#endif

Result<std::unique_ptr<Backend>> MakeBackend(std::string_view system) {
  if (system == "kafka") return MakeKafkaBackend();
  if (system == "http") return MakeHttpBackend();
  if (system == "redis") {
#if TARN_BENCH_HAVE_REDIS
    return MakeRedisBackend();
#else
    return Error(
        Status::Unsupported("built without hiredis: apt-get install libhiredis-dev, rebuild"));
#endif
  }
  if (system == "nats") {
#if TARN_BENCH_HAVE_NATS
    return MakeNatsBackend();
#else
    return Error(
        Status::Unsupported("built without libnats: apt-get install libnats-dev, rebuild"));
#endif
  }
  return Error(Status::InvalidArgument("unknown system '" + std::string(system) +
                                       "' (kafka, http, redis or nats)"));
}

std::vector<std::string> AvailableSystems() {
  std::vector<std::string> systems = {"kafka", "http"};
#if TARN_BENCH_HAVE_REDIS
  systems.push_back("redis");
#endif
#if TARN_BENCH_HAVE_NATS
  systems.push_back("nats");
#endif
  return systems;
}

Status SendOnSchedule(const SendSchedule& schedule, Payload& payload, int64_t deadline_ns,
                      RunResult& result, const std::function<Status(std::span<const char>)>& send) {
  for (int64_t i = 0; i < schedule.total_sends(); ++i) {
    int64_t due = schedule.DueNs(i);
    if (due >= deadline_ns) {
      result.timed_out = true;
      break;
    }
    SleepUntilNs(due);
    result.max_send_lag_ns = std::max(result.max_send_lag_ns, MonotonicNs() - due);
    Status status = send(payload.Stamp(static_cast<uint64_t>(i), due));
    if (!status.ok()) return status;
    ++result.sent;
  }
  return Status::Ok();
}

}  // namespace tarn::bench
