// The coordinator's durable state: records in `__consumer_offsets` (kafka/group/offsets_topic.h),
// written through the broker like any produced batch and read back at start-up.
//
// Owned by the GroupCoordinator; lives on the io_context's thread, as the broker does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/strong_id.h"
#include "net/asio_fwd.h"

namespace tarn::kafka {

class Broker;
struct Topic;

// One record to write: a key and a value, or no value for a tombstone.
struct StoreRecord {
  Bytes key;
  std::optional<Bytes> value;
};

// Where a write landed: the partition, and the offsets it took, from `base` to `end` - 1.
struct StoreWrite {
  int32_t partition = 0;
  Offset base{-1};
  Offset end{-1};
};

class GroupStore {
 public:
  // Finds `__consumer_offsets`, creating it (compacted, `partitions` partitions) on first use.
  // An existing topic keeps its partition count, since groups hash onto it.
  static Result<std::unique_ptr<GroupStore>> Open(Broker& broker, int32_t partitions);
  ~GroupStore();

  int32_t partition_count() const;

  // Calls `apply` for every record of every partition, in offset order within a partition.
  // A null value is a tombstone. Stops at the first read error.
  using RecordVisitor =
      std::function<void(ByteView key, std::optional<ByteView> value, Offset offset)>;
  Status Load(const RecordVisitor& apply) const;

  // Appends the records, as one batch, to the group's partition. They are in the page cache
  // when this returns; WaitDurable waits for the disk. Errors: the append's (storage, size).
  Result<StoreWrite> Append(std::string_view group_id, const std::vector<StoreRecord>& records,
                            int64_t timestamp_ms);
  Awaitable<Status> WaitDurable(StoreWrite write);

 private:
  GroupStore(Broker& broker, std::shared_ptr<Topic> topic);

  Broker& broker_;
  std::shared_ptr<Topic> topic_;
};

}  // namespace tarn::kafka
