// ServerProbe: counters of the server under test, read before and after a run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tarn::bench {

// A reading of the server's counters; a field is empty when it could not be read.
struct ServerCounters {
  std::optional<double> cpu_seconds;   // utime + stime of the process (/proc/PID/stat)
  std::optional<int64_t> write_bytes;  // bytes the process caused to be written to storage
  std::optional<int64_t> fsyncs;       // fsync + fdatasync calls so far
};

// Reads the counters of one server process. The fsync count comes from one of:
//   metrics:http://HOST:PORT/PATH  the server's Prometheus text endpoint, summing every
//                                  `tarn_log_fsyncs_total` series;
//   strace-log:PATH                the output of `strace -f -e trace=fsync,fdatasync -o PATH`
//                                  running on the server, counting one line per call;
//   none                           no fsync count.
// Immutable after Create; Sample() may be called from any thread.
class ServerProbe {
 public:
  // pid 0 reads no process counters. kInvalidArgument for an unknown fsync source.
  static Result<ServerProbe> Create(int pid, std::string_view fsync_source);

  ServerCounters Sample() const;
  // "metrics", "strace" or "" (none), for the report.
  const std::string& fsync_source_kind() const { return kind_; }

 private:
  ServerProbe() = default;

  int pid_ = 0;
  std::string kind_;
  std::string host_;
  int port_ = 0;
  std::string path_;  // the URL path, or the strace log
};

}  // namespace tarn::bench
