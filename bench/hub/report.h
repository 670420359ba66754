// The side-by-side report: run records in, one comparison table out.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "base/status.h"

namespace tarn::bench {

// Reads results files (JSON lines from MakeRunRecord), takes the median of each figure over
// repetitions and writes the table: absolute figures per system, tarn/peer ratios, what each
// system's ack guarantees and whether the targets are met. kNotFound if a file cannot be read,
// kCorruption for a line that is not a run record.
Status WriteReport(const std::vector<std::string>& paths, std::ostream& out);

}  // namespace tarn::bench
