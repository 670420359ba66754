// Metrics: counters, gauges and histograms, grouped in labelled families and rendered in the
// Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Hot paths touch only a metric object: `Increment`, `Set` and `Observe` are lock-free atomics.
// Looking a child up by its label values (`Family::With`) takes a lock and compares strings, so a
// caller looks it up once (when a partition opens, say) and keeps the pointer.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tarn {

// A child's label values: one per label name of its family, in the family's order.
using LabelValues = std::vector<std::string>;

namespace internal {
class FamilyBase;

// What a family holds. Each kind of metric writes its own sample lines.
class Metric {
 public:
  virtual ~Metric() = default;

 private:
  friend class FamilyBase;
  // Appends this metric's sample lines for family `name`; `labels` is the child's rendered
  // label list without braces (`topic="a",partition="0"`), empty when the family has no labels.
  virtual void AppendSamples(std::string_view name, std::string_view labels,
                             std::string& out) const = 0;
};
}  // namespace internal

// A count that only goes up. Thread-safe and lock-free.
class Counter final : public internal::Metric {
 public:
  static constexpr std::string_view kType = "counter";

  void Increment(uint64_t n = 1) { integral_.fetch_add(n, std::memory_order_relaxed); }
  // Adds a non-integral amount (seconds spent, say). A negative or NaN amount is ignored.
  void Add(double amount);
  double Value() const;

 private:
  void AppendSamples(std::string_view name, std::string_view labels,
                     std::string& out) const override;

  std::atomic<uint64_t> integral_{0};  // exact, and the cheapest to bump
  std::atomic<double> fractional_{0};
};

// A value that goes up and down. Either set by its owner (thread-safe, lock-free) or read from a
// callback at each render (open connections, bytes on disk).
class Gauge final : public internal::Metric {
 public:
  static constexpr std::string_view kType = "gauge";

  Gauge() = default;
  // A gauge whose value is `read()`, called at each render on the rendering thread with no
  // registry lock held. `read` must be thread-safe and stay callable while the gauge is rendered.
  explicit Gauge(std::function<double()> read);

  // Set and Add are for gauges without a callback.
  void Set(double value);
  void Add(double delta);
  double Value() const;

 private:
  void AppendSamples(std::string_view name, std::string_view labels,
                     std::string& out) const override;

  std::atomic<double> value_{0};
  std::function<double()> read_;
};

// The buckets of a histogram at one moment, cumulative as Prometheus shows them.
struct HistogramSnapshot {
  std::vector<uint64_t> cumulative_counts;  // one per bound, then one for +Inf (== count)
  uint64_t count = 0;
  double sum = 0;
};

// Counts observations in fixed buckets. Observe is thread-safe and lock-free; a snapshot taken
// while others observe may show a sum that lags its count by the observations in flight.
class Histogram final : public internal::Metric {
 public:
  static constexpr std::string_view kType = "histogram";

  // `bounds` are the buckets' upper bounds (inclusive), finite and strictly increasing; the +Inf
  // bucket is implied. Bad bounds are a programming error (TARN_CHECK).
  explicit Histogram(std::vector<double> bounds);

  // A NaN observation is dropped.
  void Observe(double value);
  // Observes a duration in seconds, the unit of LatencyBuckets().
  void Observe(std::chrono::nanoseconds elapsed) { Observe(elapsed.count() * 1e-9); }

  const std::vector<double>& bounds() const { return bounds_; }
  HistogramSnapshot Snapshot() const;

 private:
  void AppendSamples(std::string_view name, std::string_view labels,
                     std::string& out) const override;

  const std::vector<double> bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; +Inf last
  std::atomic<double> sum_{0};
};

// Upper bounds in seconds for request latencies: 50µs to 10s, roughly 1-2.5-5 per decade.
const std::vector<double>& LatencyBuckets();

namespace internal {
// The type-independent part of a Family: its children by label values, and rendering.
class FamilyBase {
 public:
  using MakeChild = std::function<std::shared_ptr<Metric>()>;

  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }

  // Removes the child with these label values; returns whether there was one. Pointers that
  // callers hold stay valid: a removed child is no longer rendered, and dies with its last user.
  bool Remove(const LabelValues& values);
  // Removes every child whose label `label_name` is `value` (every partition of a deleted
  // topic, say). Returns how many were removed.
  size_t RemoveMatching(std::string_view label_name, std::string_view value);

  // Appends HELP, TYPE and the samples of every child, children in label order.
  void Render(std::string& out) const;

 protected:
  FamilyBase(std::string name, std::string help, std::string_view type,
             std::vector<std::string> label_names, MakeChild make_child);

  // The child for `values`, created with make_child on first use.
  std::shared_ptr<Metric> GetOrAdd(const LabelValues& values);
  // Installs `child` for `values`, replacing any child there.
  void Put(const LabelValues& values, std::shared_ptr<Metric> child);

 private:
  struct Child {
    std::string labels;  // rendered once: `a="x",b="y"`
    std::shared_ptr<Metric> metric;
  };
  std::string RenderLabels(const LabelValues& values) const;

  const std::string name_;
  const std::string help_;
  const std::string_view type_;
  const std::vector<std::string> label_names_;
  const MakeChild make_child_;
  mutable std::mutex mu_;
  std::map<LabelValues, Child> children_;  // guarded by mu_
};
}  // namespace internal

// A named metric with label names, and one child metric per set of label values. Owned by the
// registry and alive as long as it is. Thread-safe.
template <typename T>
class Family final : public internal::FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         MakeChild make_child)
      : FamilyBase(std::move(name), std::move(help), T::kType, std::move(label_names),
                   std::move(make_child)) {}

  // The child for `values` (one per label name), created on first use. Takes a lock: call it
  // once and keep the pointer. A wrong number of values is a programming error (TARN_CHECK).
  std::shared_ptr<T> With(const LabelValues& values) {
    return std::static_pointer_cast<T>(GetOrAdd(values));
  }

  // Makes the child for `values` a gauge read from `read` at render time (see Gauge), replacing
  // any child with these values.
  void WithCallback(const LabelValues& values,
                    std::function<double()> read) requires std::same_as<T, Gauge> {
    Put(values, std::make_shared<Gauge>(std::move(read)));
  }
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// The process's metrics. Owned by the app, which passes it by reference to the modules that
// register metrics; it must outlive them and everything that renders it. Thread-safe.
//
// Each Add* registers a family under a new name. Names follow Prometheus
// ([a-zA-Z_:][a-zA-Z0-9_:]*, labels [a-zA-Z_][a-zA-Z0-9_]*, "le" reserved for histograms); a
// bad or duplicate name is a wiring bug and fails a TARN_CHECK at startup.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Unlabelled metrics: the reference lives as long as the registry.
  Counter& AddCounter(std::string name, std::string help);
  Gauge& AddGauge(std::string name, std::string help);
  void AddCallbackGauge(std::string name, std::string help, std::function<double()> read);
  Histogram& AddHistogram(std::string name, std::string help,
                          std::vector<double> bounds = LatencyBuckets());

  CounterFamily& AddCounterFamily(std::string name, std::string help,
                                  std::vector<std::string> label_names);
  GaugeFamily& AddGaugeFamily(std::string name, std::string help,
                              std::vector<std::string> label_names);
  HistogramFamily& AddHistogramFamily(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> bounds = LatencyBuckets());

  // Every family in registration order, in the text format (content type
  // "text/plain; version=0.0.4"). Runs gauge callbacks; holds no lock while it does.
  std::string RenderPrometheus() const;

 private:
  template <typename T>
  Family<T>& AddFamily(std::string name, std::string help, std::vector<std::string> label_names,
                       internal::FamilyBase::MakeChild make_child);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<internal::FamilyBase>> families_;  // guarded by mu_; never shrinks
};

}  // namespace tarn
