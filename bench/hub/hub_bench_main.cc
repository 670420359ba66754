// tarn-hub-bench: drives one system per run and appends a JSON record of it; `report` compares.
//   tarn-hub-bench throughput --system kafka --addr 127.0.0.1:9092 --label tarn ...
//   tarn-hub-bench latency    --system redis --addr 127.0.0.1:6379 --rate 10000 ...
//   tarn-hub-bench throughput --system http --addr 127.0.0.1:8080 --kafka-addr 127.0.0.1:9092
//   tarn-hub-bench report results.jsonl
// bench/README.md has the workload, the flags hub.sh uses and the record format.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "hub/backend.h"
#include "hub/payload.h"
#include "hub/report.h"
#include "hub/run_record.h"
#include "hub/server_probe.h"

#if TARN_BENCH_HAVE_NATS
#include <nats/nats.h>
#endif

namespace tarn::bench {
namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

struct Options {
  RunInfo info;
  RunSpec spec;
  std::string address;
  double max_seconds = 60;
  double warmup_seconds = 1;
  double duration_seconds = 10;
  int linger_ms = -1;    // -1: 5 for throughput, 0 for latency
  int send_asap = -1;    // -1: off for throughput, on for latency
  int connections = -1;  // -1: per system (DefaultConnections)
  std::string payload;   // empty: envelope for http, bytes for the others
  std::string topic;     // empty: bus for http, hub-bench for the others
  int server_pid = 0;
  std::string fsyncs = "none";
  std::string json_out;  // append the record here; stdout when empty
};

nanoseconds Seconds(double s) {
  return duration_cast<nanoseconds>(std::chrono::duration<double>(s));
}

// In-flight defaults that gave each system its best throughput on the reference machine.
int DefaultInFlight(std::string_view system) {
  if (system == "redis") return 800;
  if (system == "nats") return 16'384;
  return 4'096;
}

// Connections when --connections is not given. Redis: 50 for throughput, 1 for latency (hub.sh
// gives it 4 there). HTTP, one request in flight on each: 4 for throughput (from 1 to 16 gave the
// same events/s here, the server's core busy throughout; more only add queueing: bench/README.md),
// 8 for latency, so that a slow answer does not hold back the next request due.
int DefaultConnections(std::string_view system, bool latency) {
  if (system == "http") return latency ? 8 : 4;
  return latency ? 1 : 50;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Status ParseAddress(const std::string& address, RunSpec& spec) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return Status::InvalidArgument("--addr '" + address + "': expected HOST:PORT");
  }
  spec.host = address.substr(0, colon);
  spec.port = std::atoi(address.c_str() + colon + 1);
  return spec.port > 0 ? Status::Ok() : Status::InvalidArgument("--addr: bad port in " + address);
}

Status Run(Options& o) {
  RunSpec& spec = o.spec;
  TARN_TRY(ParseAddress(o.address, spec));
  bool latency = o.info.mode == "latency";
  if (o.info.label.empty()) o.info.label = o.info.system;
  if (spec.in_flight <= 0) spec.in_flight = DefaultInFlight(o.info.system);
  if (spec.record_bytes < Payload::kHeaderBytes) {
    return Status::InvalidArgument("--record-bytes must be at least " +
                                   std::to_string(Payload::kHeaderBytes));
  }
  spec.max_wall = Seconds(o.max_seconds);
  spec.warmup = Seconds(o.warmup_seconds);
  spec.duration = Seconds(o.duration_seconds);
  spec.linger_ms = o.linger_ms >= 0 ? o.linger_ms : (latency ? 0 : 5);
  spec.send_asap = o.send_asap >= 0 ? o.send_asap != 0 : latency;
  spec.connections = o.connections > 0 ? o.connections : DefaultConnections(o.info.system, latency);
  if (spec.warmup_records >= spec.records) spec.warmup_records = spec.records / 10;
  const bool http = o.info.system == "http";
  spec.topic = !o.topic.empty() ? o.topic : http ? "bus" : "hub-bench";
  std::optional<PayloadFormat> format =
      ParsePayloadFormat(o.payload.empty() ? (http ? "envelope" : "bytes") : o.payload);
  if (!format) return Status::InvalidArgument("--payload: bytes or envelope, not " + o.payload);
  if (http && *format != PayloadFormat::kEnvelope) {
    return Status::InvalidArgument("--system http sends envelopes only (--payload envelope)");
  }
  spec.payload_format = *format;
  if (spec.payload_format == PayloadFormat::kEnvelope &&
      spec.record_bytes < Payload::kMinEnvelopeBytes) {
    return Status::InvalidArgument("--record-bytes must be at least " +
                                   std::to_string(Payload::kMinEnvelopeBytes) + " for envelopes");
  }
  if (http) {
    if (spec.batch_events < 1) return Status::InvalidArgument("--batch-events must be at least 1");
    spec.in_flight = spec.connections * spec.batch_events;
  }

  TARN_ASSIGN_OR_RETURN(ServerProbe probe, ServerProbe::Create(o.server_pid, o.fsyncs));
  o.info.fsync_source = probe.fsync_source_kind();
  TARN_ASSIGN_OR_RETURN(auto backend, MakeBackend(o.info.system));
  TARN_TRY(backend->Prepare(spec).WithContext(o.info.label + ": prepare"));

  ServerCounters before = probe.Sample();
  int64_t start = MonotonicNs();
  double cpu_start = CpuSeconds();
  TARN_ASSIGN_OR_RETURN(RunResult result,
                        latency ? backend->RunLatency(spec) : backend->RunThroughput(spec));
  o.info.client_cpu_s = CpuSeconds() - cpu_start;
  o.info.run_ns = MonotonicNs() - start;
  ServerCounters after = probe.Sample();

  nlohmann::json record = MakeRunRecord(o.info, spec, result, before, after);
  std::cerr << SummaryLine(record) << "\n";
  if (o.json_out.empty()) {
    std::cout << record.dump() << std::endl;
  } else {
    std::ofstream out(o.json_out, std::ios::app);
    if (!(out << record.dump() << "\n")) return Status::IoError("cannot append to " + o.json_out);
  }
  return Status::Ok();
}

void AddRunOptions(CLI::App& cmd, Options& o) {
  std::string systems;
  for (const std::string& s : AvailableSystems()) systems += (systems.empty() ? "" : ", ") + s;
  cmd.add_option("--system", o.info.system, "Client to drive: " + systems)->required();
  cmd.add_option("--addr", o.address, "Server HOST:PORT")->required();
  cmd.add_option("--label", o.info.label,
                 "Name in the report (tarn for the Kafka backend on Tarn)");
  cmd.add_option("--topic", o.topic,
                 "Topic, stream key or subject; one per run (default hub-bench; http: the topic "
                 "the server publishes events to, default bus)");
  cmd.add_option("--record-bytes", o.spec.record_bytes, "Payload size")->capture_default_str();
  cmd.add_option("--payload", o.payload,
                 "bytes (header + random filler) or envelope (order-placed events); default: "
                 "envelope for http, bytes otherwise");
  cmd.add_option("--max-seconds", o.max_seconds, "Wall-clock cap of the run")
      ->capture_default_str();
  cmd.add_option("--level", o.info.level, "Durability level the server runs at (D0, D1, D2)");
  cmd.add_option("--guarantee", o.info.guarantee, "What an ack means for this server");
  cmd.add_option("--rep", o.info.rep, "Repetition number")->capture_default_str();
  cmd.add_option("--cell", o.info.cell, "main, or fsync-check for a run under strace")
      ->capture_default_str();
  cmd.add_option("--server-pid", o.server_pid, "Server process: CPU and disk bytes from /proc");
  cmd.add_option("--fsyncs", o.fsyncs,
                 "fsync counter: metrics:http://HOST:PORT/metrics, strace-log:PATH or none")
      ->capture_default_str();
  cmd.add_option("--json-out", o.json_out, "Append the run record here (default: stdout)");
  cmd.add_option("--in-flight", o.spec.in_flight,
                 "Unacknowledged records at most (default: kafka 4096, redis 800, nats 16384)");
  cmd.add_option("--linger-ms", o.linger_ms, "Kafka linger.ms (default: 5, latency runs 0)");
  cmd.add_option("--batch-bytes", o.spec.batch_bytes, "Kafka batch.size")->capture_default_str();
  cmd.add_option("--fetch-wait-ms", o.spec.fetch_wait_ms, "Kafka consumer fetch.wait.max.ms")
      ->capture_default_str();
  cmd.add_option("--connections", o.connections,
                 "Redis producer connections (default: throughput 50, latency 1); http keep-alive "
                 "connections, one request in flight each (default: throughput 4, latency 8)");
  cmd.add_option("--batch-events", o.spec.batch_events, "http: events per request")
      ->capture_default_str();
  cmd.add_option("--contract", o.spec.contract,
                 "http: 1 registers the order-placed contract and checks it is enforced; 0 runs "
                 "with envelope checks only, on a server without it")
      ->capture_default_str();
  cmd.add_option("--kafka-addr", o.spec.kafka_address,
                 "http: the server's Kafka HOST:PORT, to count what the bus gained and to tail it "
                 "in a latency run");
  cmd.add_option("--send-asap", o.send_asap, "NATS: 1 flushes every publish (default: latency 1)");
}

int Main(int argc, char** argv) {
  CLI::App app{
      "Event-hub benchmark: Tarn (Kafka protocol or HTTP event API), Redis Streams, NATS "
      "JetStream"};
  app.require_subcommand(1);
  Options o;

  CLI::App* throughput = app.add_subcommand("throughput", "Send N records as fast as acked");
  AddRunOptions(*throughput, o);
  throughput->add_option("--records", o.spec.records, "Records to send")->capture_default_str();
  throughput
      ->add_option("--warmup-records", o.spec.warmup_records,
                   "Acks before the measured window opens")
      ->capture_default_str();

  CLI::App* latency = app.add_subcommand("latency", "Open loop at a fixed rate, tailing consumer");
  AddRunOptions(*latency, o);
  latency->add_option("--rate", o.spec.rate_per_s, "Records per second")->capture_default_str();
  latency->add_option("--seconds", o.duration_seconds, "Measured time")->capture_default_str();
  latency->add_option("--warmup-seconds", o.warmup_seconds, "Sent first, not measured")
      ->capture_default_str();

  std::vector<std::string> files;
  std::string ours = "tarn";
  CLI::App* report = app.add_subcommand("report", "Compare run records (medians, ratios)");
  report->add_option("files", files, "Results files (JSON lines)")->required();
  report
      ->add_option("--ours", ours,
                   "The label compared with the others (tarn: the hub targets are checked)")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  Status status;
  if (report->parsed()) {
    status = WriteReport(files, std::cout, ours);
  } else {
    o.info.mode = throughput->parsed() ? "throughput" : "latency";
    status = Run(o);
  }
#if TARN_BENCH_HAVE_NATS
  nats_Close();
#endif
  if (!status.ok()) {
    std::cerr << "tarn-hub-bench: " << status.ToString() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace tarn::bench

int main(int argc, char** argv) { return tarn::bench::Main(argc, argv); }
