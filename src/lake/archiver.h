// The archiver: reads the hub's topics and writes every record, exactly once, into lake files
// (docs/lake.md). It keeps no state of its own: where to resume is what the files' manifests
// record, so a crash at any point leaves neither a gap nor a duplicate.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "base/result.h"
#include "hub/hub.h"
#include "net/asio_fwd.h"

namespace tarn::lake {

struct ArchiverOptions {
  std::filesystem::path root;        // the lake
  std::filesystem::path fault_root;  // the fault lake, for `fault_topic`
  std::string region = "local";
  // Topics to archive: names, or prefixes ending in '*'. Empty: every topic whose name does not
  // start with '_'.
  std::vector<std::string> topics;
  std::string fault_topic = "faults";
  int64_t file_bytes = int64_t{64} << 20;  // a file closes when its lines reach this
  std::chrono::milliseconds file_age{60'000};  // ... or when its first line is this old
  // zstd level: on the lake benchmark's lines, level 1 compresses 2.6x faster than 3 and no worse.
  int compression_level = 1;
  size_t read_batch = 10'000;
  std::chrono::milliseconds poll_wait{500};
  std::chrono::milliseconds topic_scan{3'000};  // how often new topics are looked for
  std::chrono::milliseconds retry_pause{1'000};
};

// Lives on the io_context's thread; compresses and writes on a worker thread of its own. Borrows
// the hub, the clock and the metrics, which must outlive it.
class Archiver {
 public:
  // Loads both lakes' catalogs, first finishing what a crash left (temporary files removed,
  // missing manifests written). kCorruption when a manifest cannot be read.
  static Result<std::unique_ptr<Archiver>> Open(IoContext& io, hub::Hub& hub, ArchiverOptions options,
                                                const Clock& clock, MetricsRegistry& metrics);
  ~Archiver();
  Archiver(const Archiver&) = delete;
  Archiver& operator=(const Archiver&) = delete;

  // Starts archiving; topics appear as they are found.
  void Start();
  // Stops after the current step; what was read but not yet in a file is read again next time.
  // The Archiver must then be kept until the io_context has run out.
  void Stop();

  // Records in the hub not yet in a lake file, per "topic/partition" (as of the last read).
  std::map<std::string, int64_t> Lag() const;

 private:
  class TopicArchive;
  Archiver(IoContext& io, hub::Hub& hub, ArchiverOptions options, const Clock& clock,
           MetricsRegistry& metrics);
  Awaitable<void> ScanTopics();
  bool Archives(const std::string& topic) const;

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tarn::lake
