#!/usr/bin/env bash
# The event-hub benchmark, side by side in one run: Tarn (Kafka protocol, driven by librdkafka),
# Redis Streams and NATS JetStream, 1 KiB records (bench/README.md says what is measured).
#
#   bench/hub.sh                  full run, 3-4 minutes: 3 repetitions, order A B C C B A A B C
#   bench/hub.sh --quick          about 1 minute: 1 repetition, shorter cells
#
# Options:
#   --systems tarn,redis,nats     which systems to run (default: all three)
#   --reps N                      repetitions (default 3; --quick 1)
#   --build-dir DIR               build there instead of the release preset's build/release
#   --no-build                    use the binaries already in the build dir
#   --out DIR                     results folder (default build/hub-bench/<UTC time>)
#
# Each server runs pinned to CPU 1 (taskset -c 1), the harness to CPU 0, on 127.0.0.1, with a
# fresh data dir per cell, and is stopped by its PID. Every harness run has a wall-clock cap.
# The fsync check runs each server once more under strace, with short cells, kept apart from
# the timed runs. Output: <out>/results.jsonl (one JSON record per run) and <out>/report.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# shellcheck source=bench/lib/servers.sh
source "$root/bench/lib/servers.sh"

systems="tarn,redis,nats"
reps=3
script_option() {
  taken=2
  case "$1" in
    --systems) systems="$2" ;;
    *) taken=0 ;;
  esac
}
parse_options "$@"

# Cell sizes. The throughput cell is bounded by its record count and by its cap, whichever
# comes first; the latency cell sends for warm-up + measured seconds at the fixed rate.
record_bytes=1024
rate=10000
if ((quick)); then
  ((reps_given)) || reps=1
  throughput_records=200000 throughput_cap=25
  latency_seconds=5 latency_warmup=1
else
  throughput_records=500000 throughput_cap=40
  latency_seconds=10 latency_warmup=1
fi
latency_cap=$((latency_warmup + latency_seconds + 15))
check_records=100000 check_cap=30 check_seconds=3

# --- build ---------------------------------------------------------------------------------
build_binaries

# --- what each system is, and what its ack guarantees ----------------------------------------
declare -A client=([tarn]=kafka [redis]=redis [nats]=nats)
declare -A level=([tarn]=D2 [redis]=D2 [nats]=D0)
declare -A guarantee=(
  [tarn]="acks=all; the log is fdatasync'd before the ack (group commit: one fdatasync covers every batch that arrived meanwhile)"
  [redis]="appendonly yes, appendfsync always: the AOF is written and fdatasync'd before replies go out, once per event-loop pass (group commit)"
  [nats]="nats-server $(nats-server --version 2>/dev/null | sed 's/.*v//') file storage: write() to the page cache only, no fsync before the ack (fsync every 2 min; sync_interval: always needs >= 2.10). An OS crash or power loss can lose acked messages"
)
declare -A needs=([tarn]="$tarn" [redis]=redis-server [nats]=nats-server)

IFS=, read -r -a wanted <<<"$systems"
run_systems=()
for s in "${wanted[@]}"; do
  if [[ -z "${client[$s]:-}" ]]; then echo "hub.sh: unknown system $s (tarn, redis, nats)" >&2; exit 2; fi
  if ! command -v "${needs[$s]}" >/dev/null; then
    echo "hub.sh: skipping $s: ${needs[$s]} not found" >&2
    continue
  fi
  run_systems+=("$s")
done
((${#run_systems[@]})) || { echo "hub.sh: nothing to run" >&2; exit 1; }
have_strace=1
command -v strace >/dev/null || { have_strace=0; echo "hub.sh: strace not found: no fsync check (apt-get install strace)" >&2; }

# --- folders, servers ---------------------------------------------------------------------------
open_results hub-bench

server_command() {  # system, data dir
  case "$1" in
    # The lake's archiver is off: the peers keep no archive either (bench/lake.sh measures it).
    tarn) cmd=("$tarn" serve --data-dir "$2" --kafka-addr "127.0.0.1:$port"
                --http-addr "127.0.0.1:$http_port" --no-lake) ;;
    redis) cmd=(redis-server --port "$port" --bind 127.0.0.1 --appendonly yes --appendfsync always
                --save '' --dir "$2" --daemonize no) ;;
    nats) cmd=(nats-server -js -sd "$2" -a 127.0.0.1 -p "$port") ;;
  esac
}

# run_cell SYSTEM MODE CELL REP TOPIC FSYNCS [extra harness flags...]
run_cell() {
  local system="$1" mode="$2" cell="$3" rep="$4" topic="$5" fsyncs="$6"
  shift 6
  local cap
  case "$mode/$cell" in
    throughput/main) cap=$throughput_cap ;;
    latency/main) cap=$latency_cap ;;
    *) cap=$check_cap ;;
  esac
  local args=("$mode" --system "${client[$system]}" --label "$system" --addr "127.0.0.1:$port"
              --topic "$topic" --record-bytes "$record_bytes" --max-seconds "$cap"
              --level "${level[$system]}" --guarantee "${guarantee[$system]}" --rep "$rep"
              --cell "$cell" --server-pid "$server_pid" --fsyncs "$fsyncs" --json-out "$results" "$@")
  # The harness stops itself at the cap; timeout is the backstop if a client library hangs.
  if ! timeout --signal=INT --kill-after=10 $((cap + 20)) taskset -c 0 "$bench" "${args[@]}"; then
    echo "hub.sh: $system $mode ($cell, rep $rep) failed" >&2
  fi
}

throughput_flags=(--records "$throughput_records" --warmup-records $((throughput_records / 10)))
latency_flags=(--rate "$rate" --seconds "$latency_seconds" --warmup-seconds "$latency_warmup")
# Redis reads at most 16 KiB per connection per event-loop pass and fsyncs once per pass, so one
# connection carries ~15 records per fsync and falls behind 10k/s whenever an fsync takes more
# than ~1.5 ms; it gets 4 producer connections (round-robin) in the latency cells.
declare -A latency_extra=([tarn]="" [redis]="--connections 4" [nats]="")

echo "hub.sh: systems ${run_systems[*]}, $reps repetition(s), results in $out"
warn_if_busy

for ((rep = 1; rep <= reps; rep++)); do
  order=("${run_systems[@]}")
  if ((rep % 2 == 0)); then  # A B C, then C B A, ...
    order=()
    for ((i = ${#run_systems[@]} - 1; i >= 0; i--)); do order+=("${run_systems[$i]}"); done
  fi
  for system in "${order[@]}"; do
    if start_server "$system"; then
      run_cell "$system" throughput main "$rep" "hub-throughput-$rep" "$(fsync_source "$system")" "${throughput_flags[@]}"
      stop_server
    fi
    if start_server "$system"; then
      # shellcheck disable=SC2086  # latency_extra holds separate words
      run_cell "$system" latency main "$rep" "hub-latency-$rep" "$(fsync_source "$system")" \
        "${latency_flags[@]}" ${latency_extra[$system]}
      stop_server
    fi
  done
done

if ((have_strace)); then
  for system in "${run_systems[@]}"; do
    log="$work/$system-strace.log"
    if start_server "$system" "$log"; then
      run_cell "$system" throughput fsync-check 1 hub-check-throughput "strace-log:$log" \
        --records "$check_records" --warmup-records $((check_records / 10))
      # shellcheck disable=SC2086
      run_cell "$system" latency fsync-check 1 hub-check-latency "strace-log:$log" \
        --rate "$rate" --seconds "$check_seconds" --warmup-seconds 0.5 ${latency_extra[$system]}
      stop_server
    fi
  done
fi

echo
"$bench" report "$results" | tee "$out/report.txt"
echo
echo "hub.sh: $(uptime)"
echo "hub.sh: records in $results, table in $out/report.txt"
