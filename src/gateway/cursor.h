// A reader's position in a topic: the next offset to read in each partition, and its text form
// "0:15,1:7", which responses hand out as `next` and server-sent events as their id.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"
#include "hub/hub.h"

namespace tarn::gateway {

using Cursor = std::map<int32_t, int64_t>;  // partition -> next offset

std::string FormatCursor(const Cursor& cursor);

// Where a read starts, from the `from` a client sent: "earliest" (or empty), "latest", an
// offset N for every partition, or a cursor "P:O,...", whose partitions not named start at
// their earliest. Every position is clamped into its partition's bounds: a position retention
// has passed moves to the oldest record kept, one beyond the end to the end. kInvalidArgument
// for text of another shape or a partition the topic does not have.
Result<Cursor> ResolveStart(std::string_view from,
                            const std::map<int32_t, hub::PartitionBounds>& bounds);

}  // namespace tarn::gateway
