#!/usr/bin/env bash
# The HTTP publish benchmark: Tarn's POST /v1/events (batches of 100 order-placed envelopes, each
# checked against its contract) beside the same events produced to the same server's bus over the
# Kafka protocol with librdkafka (bench/README.md says what is measured).
#
#   bench/http.sh                 full run, about 5 minutes: 3 repetitions, order A B B A A B
#   bench/http.sh --quick         about 1.5 minutes: 1 repetition, shorter cells
#
# Options:
#   --reps N                      repetitions (default 3; --quick 1)
#   --connections N               HTTP keep-alive connections of the throughput cells, one
#                                 request in flight each (default: the harness's, 4)
#   --batch-events N              events per HTTP request (default 100)
#   --rates R1,R2                 events/s of the latency cells, one cell each (default
#                                 10000,5000: the issue's rate, then about half of what the HTTP
#                                 path sustains here)
#   --build-dir DIR               build there instead of the release preset's build/release
#   --no-build                    use the binaries already in the build dir
#   --out DIR                     results folder (default build/http-bench/<UTC time>)
#
# Every cell gets a fresh `tarn serve` pinned to CPU 1 (taskset -c 1), the harness runs pinned to
# CPU 0, on 127.0.0.1, and the server is stopped by its PID. Every harness run has a wall-clock
# cap. Output: <out>/results.jsonl (one JSON record per run) and <out>/report.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# shellcheck source=bench/lib/servers.sh
source "$root/bench/lib/servers.sh"

reps=3
connections=""
batch_events=100
rates=10000,5000
script_option() {
  taken=2
  case "$1" in
    --connections) connections="$2" ;;
    --batch-events) batch_events="$2" ;;
    --rates) rates="$2" ;;
    *) taken=0 ;;
  esac
}
parse_options "$@"

# Cell sizes. A throughput cell ends after its events or at its cap, whichever comes first (the
# HTTP path is much slower, so it gets fewer events for about the same time); a latency cell
# sends for warm-up + measured seconds at the fixed rate.
record_bytes=1024
if ((quick)); then
  ((reps_given)) || reps=1
  http_events=50000 kafka_events=200000 throughput_cap=25
  latency_seconds=5 latency_warmup=1
else
  http_events=100000 kafka_events=500000 throughput_cap=40
  latency_seconds=10 latency_warmup=1
fi
latency_cap=$((latency_warmup + latency_seconds + 15))

# --- build, folders, servers ---------------------------------------------------------------
build_binaries
open_results http-bench

server_command() {  # system (http or kafka: the same server), data dir; no archiver (bench/lake.sh)
  cmd=("$tarn" serve --data-dir "$2" --kafka-addr "127.0.0.1:$port" --http-addr "127.0.0.1:$http_port"
       --no-lake)
}

guarantee_http="200 once every event of the request passed the envelope and its contract and all are appended to the bus and fdatasync'd (group commit); none is written if one fails"
guarantee_kafka="acks=all, idempotent; the log is fdatasync'd before the ack (group commit)"

# run_cell SYSTEM MODE REP CELL [extra harness flags...]
run_cell() {
  local system="$1" mode="$2" rep="$3" cell="$4"
  shift 4
  local cap=$throughput_cap
  [[ "$mode" == latency ]] && cap=$latency_cap
  local args=("$mode" --label "$system" --topic bus --record-bytes "$record_bytes"
              --max-seconds "$cap" --level D2 --rep "$rep" --cell "$cell" --server-pid "$server_pid"
              --fsyncs "$(fsync_source tarn)" --json-out "$results")
  if [[ "$system" == http ]]; then
    args+=(--system http --addr "127.0.0.1:$http_port" --kafka-addr "127.0.0.1:$port"
           --batch-events "$batch_events" --guarantee "$guarantee_http")
    [[ -n "$connections" && "$mode" == throughput ]] && args+=(--connections "$connections")
  else
    args+=(--system kafka --payload envelope --addr "127.0.0.1:$port" --guarantee "$guarantee_kafka")
  fi
  # The harness stops itself at the cap; timeout is the backstop if a client library hangs.
  if ! timeout --signal=INT --kill-after=10 $((cap + 20)) taskset -c 0 "$bench" "${args[@]}" "$@"; then
    echo "http.sh: $system $mode ($cell, rep $rep) failed" >&2
  fi
}

declare -A throughput_events=([http]=$http_events [kafka]=$kafka_events)
IFS=, read -r -a latency_rates <<<"$rates"

echo "http.sh: http and kafka, $reps repetition(s), results in $out"
warn_if_busy

for ((rep = 1; rep <= reps; rep++)); do
  order=(http kafka)
  ((rep % 2 == 0)) && order=(kafka http)
  for system in "${order[@]}"; do
    n="${throughput_events[$system]}"
    if start_server "$system"; then
      run_cell "$system" throughput "$rep" main --records "$n" --warmup-records $((n / 10))
      stop_server
    fi
    for rate in "${latency_rates[@]}"; do
      cell="rate-$rate"
      [[ "$rate" == "${latency_rates[0]}" ]] && cell=main  # the report's headline cell
      if start_server "$system"; then
        run_cell "$system" latency "$rep" "$cell" --rate "$rate" --seconds "$latency_seconds" \
          --warmup-seconds "$latency_warmup"
        stop_server
      fi
    done
  done
done

echo
"$bench" report --ours http "$results" | tee "$out/report.txt"
echo
echo "http.sh: $(uptime)"
echo "http.sh: records in $results, table in $out/report.txt"
