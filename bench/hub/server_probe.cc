#include "hub/server_probe.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "hub/http_connection.h"
#include "hub/payload.h"

namespace tarn::bench {
namespace {

constexpr std::string_view kFsyncMetric = "tarn_log_fsyncs_total";

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// GET on a numeric IPv4 address; the body of a 200, or nullopt on any failure (2 s timeout).
std::optional<std::string> HttpGet(const std::string& host, int port, const std::string& path) {
  const int64_t deadline = MonotonicNs() + 2'000'000'000;
  Result<HttpConnection> connection = HttpConnection::Connect(host, port, deadline);
  if (!connection) return std::nullopt;
  Result<HttpResponse> response =
      connection->Exchange(RequestHead("GET", path, host, port, "", 0), "", deadline);
  if (!response || response->status != 200) return std::nullopt;
  return std::move(response->body);
}

// Sums every sample of `name` in Prometheus text format; nullopt if there is none.
std::optional<int64_t> SumMetric(const std::string& text, std::string_view name) {
  std::istringstream lines(text);
  std::string line;
  std::optional<int64_t> total;
  while (std::getline(lines, line)) {
    if (line.rfind(name, 0) != 0) continue;
    char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != ' ' && next != '{') continue;  // a longer name that starts the same
    size_t value = line.find_last_of(' ');
    if (value == std::string::npos) continue;
    total =
        total.value_or(0) + static_cast<int64_t>(std::strtod(line.c_str() + value + 1, nullptr));
  }
  return total;
}

// One line per call: "PID fdatasync(5) = 0" or "PID fsync(5 <unfinished ...>"; the matching
// "<... fsync resumed>" line is not counted.
int64_t CountStraceCalls(const std::string& text) {
  int64_t calls = 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("fsync(") != std::string::npos || line.find("fdatasync(") != std::string::npos) {
      ++calls;
    }
  }
  return calls;
}

}  // namespace

Result<ServerProbe> ServerProbe::Create(int pid, std::string_view fsync_source) {
  ServerProbe probe;
  probe.pid_ = pid;
  std::string source(fsync_source);
  if (source.empty() || source == "none") return probe;
  if (source.rfind("strace-log:", 0) == 0) {
    probe.kind_ = "strace";
    probe.path_ = source.substr(11);
    return probe;
  }
  constexpr std::string_view kMetrics = "metrics:http://";
  if (source.rfind(kMetrics, 0) == 0) {
    std::string rest = source.substr(kMetrics.size());
    size_t colon = rest.find(':');
    size_t slash = rest.find('/');
    if (colon != std::string::npos && colon < slash) {
      probe.kind_ = "metrics";
      probe.host_ = rest.substr(0, colon);
      probe.port_ = std::atoi(rest.substr(colon + 1, slash - colon - 1).c_str());
      probe.path_ = slash == std::string::npos ? "/metrics" : rest.substr(slash);
      return probe;
    }
  }
  return Error(Status::InvalidArgument(
      "--fsyncs '" + source +
      "': expected metrics:http://HOST:PORT/PATH, strace-log:PATH or none"));
}

ServerCounters ServerProbe::Sample() const {
  ServerCounters counters;
  if (pid_ > 0) {
    std::string proc = "/proc/" + std::to_string(pid_);
    // Fields after the command name's closing parenthesis: state is field 3, utime 14, stime 15.
    if (auto stat = ReadFile(proc + "/stat")) {
      std::istringstream fields(stat->substr(stat->rfind(')') + 2));
      std::vector<std::string> values;
      std::string value;
      while (fields >> value && values.size() < 13) values.push_back(value);
      if (values.size() == 13) {
        double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
        counters.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks;
      }
    }
    if (auto io = ReadFile(proc + "/io")) {
      size_t at = io->find("\nwrite_bytes: ");
      if (at != std::string::npos) counters.write_bytes = std::atoll(io->c_str() + at + 14);
    }
  }
  if (kind_ == "metrics") {
    if (auto body = HttpGet(host_, port_, path_)) counters.fsyncs = SumMetric(*body, kFsyncMetric);
  } else if (kind_ == "strace") {
    if (auto log = ReadFile(path_)) counters.fsyncs = CountStraceCalls(*log);
  }
  return counters;
}

}  // namespace tarn::bench
