// The side-by-side report: run records in, one comparison table out.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tarn::bench {

// Reads results files (JSON lines from MakeRunRecord), takes the median of each figure over
// repetitions and writes the table: absolute figures per label, ours/peer ratios (`ours` is the
// label compared with the others), what each one's ack guarantees, and then whether the hub
// targets are met (ours = tarn) or a short ours/peer summary (any other). kNotFound if a file
// cannot be read, kCorruption for a line that is not a run record.
Status WriteReport(const std::vector<std::string>& paths, std::ostream& out,
                   std::string_view ours = "tarn");

}  // namespace tarn::bench
