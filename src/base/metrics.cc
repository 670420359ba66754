#include "base/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "base/check.h"

namespace tarn {
namespace {

// Prometheus writes floats as Go's ParseFloat reads them; fmt's shortest round-trip form does
// that for finite values.
void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

// One sample line: `name{labels} value` (`name value` without labels).
void AppendSampleStart(std::string& out, std::string_view name, std::string_view suffix,
                       std::string_view labels) {
  out += name;
  out += suffix;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
}

// Label values escape backslash, double quote and newline; HELP text only the first and last.
void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

bool IsValidName(std::string_view name, bool allow_colon) {
  auto is_start = [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (allow_colon && c == ':');
  };
  if (name.empty() || !is_start(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return is_start(c) || (c >= '0' && c <= '9'); });
}

void CheckBounds(const std::vector<double>& bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    TARN_CHECK_MSG(std::isfinite(bounds[i]), "histogram bounds must be finite");
    TARN_CHECK_MSG(i == 0 || bounds[i - 1] < bounds[i],
                   "histogram bounds must be strictly increasing");
  }
}

}  // namespace

void Counter::Add(double amount) {
  if (!(amount > 0)) return;  // also drops NaN
  fractional_.fetch_add(amount, std::memory_order_relaxed);
}

double Counter::Value() const {
  return static_cast<double>(integral_.load(std::memory_order_relaxed)) +
         fractional_.load(std::memory_order_relaxed);
}

void Counter::AppendSamples(std::string_view name, std::string_view labels,
                            std::string& out) const {
  AppendSampleStart(out, name, "", labels);
  double fractional = fractional_.load(std::memory_order_relaxed);
  if (fractional == 0) {  // keep large integral counts exact
    fmt::format_to(std::back_inserter(out), "{}", integral_.load(std::memory_order_relaxed));
  } else {
    AppendValue(out, Value());
  }
  out += '\n';
}

Gauge::Gauge(std::function<double()> read) : read_(std::move(read)) { TARN_CHECK(read_); }

void Gauge::Set(double value) {
  TARN_DCHECK(!read_);
  value_.store(value, std::memory_order_relaxed);
}

void Gauge::Add(double delta) {
  TARN_DCHECK(!read_);
  value_.fetch_add(delta, std::memory_order_relaxed);
}

double Gauge::Value() const { return read_ ? read_() : value_.load(std::memory_order_relaxed); }

void Gauge::AppendSamples(std::string_view name, std::string_view labels, std::string& out) const {
  AppendSampleStart(out, name, "", labels);
  AppendValue(out, Value());
  out += '\n';
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  CheckBounds(bounds_);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // The first bound >= value: a bucket counts what is less than or equal to its bound.
  size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.cumulative_counts.reserve(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    snapshot.count += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(snapshot.count);
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

void Histogram::AppendSamples(std::string_view name, std::string_view labels,
                              std::string& out) const {
  HistogramSnapshot snapshot = Snapshot();
  std::string bucket_labels(labels);
  if (!bucket_labels.empty()) bucket_labels += ',';
  const size_t le_start = bucket_labels.size();
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    bucket_labels.resize(le_start);
    bucket_labels += "le=\"";
    AppendValue(bucket_labels, i < bounds_.size() ? bounds_[i] : INFINITY);
    bucket_labels += '"';
    AppendSampleStart(out, name, "_bucket", bucket_labels);
    fmt::format_to(std::back_inserter(out), "{}\n", snapshot.cumulative_counts[i]);
  }
  AppendSampleStart(out, name, "_sum", labels);
  AppendValue(out, snapshot.sum);
  out += '\n';
  AppendSampleStart(out, name, "_count", labels);
  fmt::format_to(std::back_inserter(out), "{}\n", snapshot.count);
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                               0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                               0.5,     1,      2.5,     5,      10};
  return kBuckets;
}

namespace internal {

FamilyBase::FamilyBase(std::string name, std::string help, std::string_view type,
                       std::vector<std::string> label_names, MakeChild make_child)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      make_child_(std::move(make_child)) {
  TARN_CHECK_MSG(IsValidName(name_, /*allow_colon=*/true), name_.c_str());
  for (size_t i = 0; i < label_names_.size(); ++i) {
    const std::string& label = label_names_[i];
    TARN_CHECK_MSG(IsValidName(label, /*allow_colon=*/false) && !label.starts_with("__"),
                   label.c_str());
    TARN_CHECK_MSG(type_ != Histogram::kType || label != "le", "\"le\" is a histogram's own label");
    TARN_CHECK_MSG(std::find(label_names_.begin(), label_names_.begin() + i, label) ==
                       label_names_.begin() + i,
                   label.c_str());
  }
}

std::string FamilyBase::RenderLabels(const LabelValues& values) const {
  TARN_CHECK_MSG(values.size() == label_names_.size(), name_.c_str());
  std::string labels;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) labels += ',';
    labels += label_names_[i];
    labels += "=\"";
    AppendEscaped(labels, values[i], /*escape_quote=*/true);
    labels += '"';
  }
  return labels;
}

std::shared_ptr<Metric> FamilyBase::GetOrAdd(const LabelValues& values) {
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) {
    it = children_.emplace(values, Child{RenderLabels(values), make_child_()}).first;
  }
  return it->second.metric;
}

void FamilyBase::Put(const LabelValues& values, std::shared_ptr<Metric> child) {
  Child replacement{RenderLabels(values), std::move(child)};
  std::lock_guard lock(mu_);
  std::swap(children_[values], replacement);  // the old child dies after the lock is released
}

bool FamilyBase::Remove(const LabelValues& values) {
  std::shared_ptr<Metric> removed;  // released after the lock: it may be the last reference
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) return false;
  removed = std::move(it->second.metric);
  children_.erase(it);
  return true;
}

size_t FamilyBase::RemoveMatching(std::string_view label_name, std::string_view value) {
  auto label = std::find(label_names_.begin(), label_names_.end(), label_name);
  if (label == label_names_.end()) return 0;
  const size_t index = label - label_names_.begin();
  std::vector<std::shared_ptr<Metric>> removed;
  std::lock_guard lock(mu_);
  for (auto it = children_.begin(); it != children_.end();) {
    if (it->first[index] == value) {
      removed.push_back(std::move(it->second.metric));
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
  return removed.size();
}

void FamilyBase::Render(std::string& out) const {
  std::vector<Child> children;
  {
    std::lock_guard lock(mu_);
    children.reserve(children_.size());
    for (const auto& [values, child] : children_) children.push_back(child);
  }
  // Outside the lock: a gauge callback may take locks of its own.
  out += "# HELP ";
  out += name_;
  out += ' ';
  AppendEscaped(out, help_, /*escape_quote=*/false);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_;
  out += '\n';
  for (const Child& child : children) child.metric->AppendSamples(name_, child.labels, out);
}

}  // namespace internal

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

template <typename T>
Family<T>& MetricsRegistry::AddFamily(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      internal::FamilyBase::MakeChild make_child) {
  auto family = std::make_unique<Family<T>>(std::move(name), std::move(help),
                                            std::move(label_names), std::move(make_child));
  Family<T>& result = *family;
  std::lock_guard lock(mu_);
  for (const auto& existing : families_) {
    TARN_CHECK_MSG(existing->name() != result.name(), result.name().c_str());
  }
  families_.push_back(std::move(family));
  return result;
}

Counter& MetricsRegistry::AddCounter(std::string name, std::string help) {
  return *AddCounterFamily(std::move(name), std::move(help), {}).With({});
}

Gauge& MetricsRegistry::AddGauge(std::string name, std::string help) {
  return *AddGaugeFamily(std::move(name), std::move(help), {}).With({});
}

void MetricsRegistry::AddCallbackGauge(std::string name, std::string help,
                                       std::function<double()> read) {
  AddGaugeFamily(std::move(name), std::move(help), {}).WithCallback({}, std::move(read));
}

Histogram& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                         std::vector<double> bounds) {
  return *AddHistogramFamily(std::move(name), std::move(help), {}, std::move(bounds)).With({});
}

CounterFamily& MetricsRegistry::AddCounterFamily(std::string name, std::string help,
                                                 std::vector<std::string> label_names) {
  return AddFamily<Counter>(std::move(name), std::move(help), std::move(label_names),
                            [] { return std::make_shared<Counter>(); });
}

GaugeFamily& MetricsRegistry::AddGaugeFamily(std::string name, std::string help,
                                             std::vector<std::string> label_names) {
  return AddFamily<Gauge>(std::move(name), std::move(help), std::move(label_names),
                          [] { return std::make_shared<Gauge>(); });
}

HistogramFamily& MetricsRegistry::AddHistogramFamily(std::string name, std::string help,
                                                     std::vector<std::string> label_names,
                                                     std::vector<double> bounds) {
  CheckBounds(bounds);  // now, rather than at the first With
  return AddFamily<Histogram>(
      std::move(name), std::move(help), std::move(label_names),
      [bounds = std::move(bounds)] { return std::make_shared<Histogram>(bounds); });
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::vector<const internal::FamilyBase*> families;
  {
    std::lock_guard lock(mu_);
    families.reserve(families_.size());
    for (const auto& family : families_) families.push_back(family.get());
  }
  std::string out;
  for (const internal::FamilyBase* family : families) family->Render(out);
  return out;
}

}  // namespace tarn
