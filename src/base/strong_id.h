// Strong types for ids and positions, so an offset never mixes silently with a count.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace tarn {

template <typename Tag, typename Rep>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}
  constexpr Rep value() const { return value_; }
  constexpr auto operator<=>(const StrongId&) const = default;

 private:
  Rep value_{};
};

// Kafka's int64 record offset within a partition.
struct OffsetTag {};
class Offset : public StrongId<OffsetTag, int64_t> {
 public:
  using StrongId::StrongId;
  constexpr Offset operator+(int64_t n) const { return Offset(value() + n); }
  constexpr int64_t operator-(Offset other) const { return value() - other.value(); }
  constexpr auto operator<=>(const Offset&) const = default;
};

using PartitionId = StrongId<struct PartitionIdTag, int32_t>;
using ProducerId = StrongId<struct ProducerIdTag, int64_t>;
using ProducerEpoch = StrongId<struct ProducerEpochTag, int16_t>;

}  // namespace tarn

template <typename Tag, typename Rep>
struct std::hash<tarn::StrongId<Tag, Rep>> {
  size_t operator()(const tarn::StrongId<Tag, Rep>& id) const noexcept {
    return std::hash<Rep>()(id.value());
  }
};
template <>
struct std::hash<tarn::Offset> {
  size_t operator()(const tarn::Offset& o) const noexcept { return std::hash<int64_t>()(o.value()); }
};
