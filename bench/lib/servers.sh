# What the benchmark scripts (hub.sh, http.sh) share: their common options, the build, the
# results folder, and starting and stopping the servers under test. Sourced, not run, with `root`
# set to the checkout. The script defines
#   server_command SYSTEM DATA_DIR   sets the array `cmd` to the command that runs SYSTEM's
#                                    server on 127.0.0.1:$port (and $http_port, if it has one)
# Each server runs pinned to CPU 1 (taskset -c 1) with a fresh data dir and is stopped by its
# PID; its log is copied to $out when it stops.

quick=0
reps_given=0
build=1
build_dir=""
out=""

# parse_options ARGS...: the command line. Takes the options every script has (--quick, --reps N,
# --build-dir DIR, --no-build, --out DIR, --help: the script's opening comment) and hands the
# others to the script's own `script_option ARGS...`, which sets `taken` to the words it used
# (0: not an option it knows).
parse_options() {
  while (($#)); do
    taken=1
    case "$1" in
      --quick) quick=1 ;;
      --reps) reps="$2"; reps_given=1; taken=2 ;;
      --build-dir) build_dir="$2"; taken=2 ;;
      --no-build) build=0 ;;
      --out) out="$2"; taken=2 ;;
      -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
      *) script_option "$@" ;;
    esac
    if ((taken == 0)); then
      echo "$(basename "$0"): unknown option $1 (see --help)" >&2
      exit 2
    fi
    shift "$taken"
  done
}

# build_binaries: builds tarn and tarn-hub-bench with the release preset (in $build_dir when
# given) unless --no-build, at most two compile jobs; sets `bench` and `tarn`.
build_binaries() {
  if [[ -z "$build_dir" ]]; then
    build_dir="$root/build/release"
    ((build)) && { cmake --preset release >/dev/null &&
                   cmake --build --preset release -j 2 --target tarn tarn-hub-bench; }
  else
    ((build)) && { cmake --preset release -B "$build_dir" >/dev/null &&
                   cmake --build "$build_dir" -j 2 --target tarn tarn-hub-bench; }
  fi
  bench="$build_dir/bench/tarn-hub-bench"
  tarn="$build_dir/src/app/tarn"
  [[ -x "$bench" ]] || { echo "$(basename "$0"): no $bench (build it, or drop --no-build)" >&2; exit 1; }
}

# open_results NAME: the results folder `out` (default build/NAME/<UTC time>) with an empty
# `results` file (results.jsonl), a temporary folder `work`; at exit the server is stopped and
# `work` removed.
open_results() {
  out="${out:-$root/build/$1/$(date -u +%Y%m%d-%H%M%S)}"
  mkdir -p "$out"
  results="$out/results.jsonl"
  : >"$results"
  work="$(mktemp -d "${TMPDIR:-/tmp}/tarn-$1.XXXXXX")"
  trap 'stop_server; rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
}

server_pid=""
wrapper_pid=""
server_log=""
cell_number=0

stop_server() {
  local pid="$server_pid"
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ -n "$wrapper_pid" ]]; then
    for _ in $(seq 50); do kill -0 "$wrapper_pid" 2>/dev/null || break; sleep 0.1; done
    wait "$wrapper_pid" 2>/dev/null || true
  fi
  [[ -n "$server_log" ]] && cp "$server_log" "$out/" 2>/dev/null
  server_pid="" wrapper_pid="" server_log=""
}

# A port nothing listens on: random below the kernel's ephemeral range (32768 up), where client
# sockets cannot hold it; start_server retries on the rare race.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

wait_port() {  # port, seconds
  local deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "${wrapper_pid:-$server_pid}" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_server SYSTEM [STRACE_LOG]: a fresh data dir, pinned to CPU 1; sets server_pid, port,
# http_port. Under strace, only fsync and fdatasync stop the server (seccomp filter).
start_server() {
  local attempt
  for attempt in 1 2 3; do
    start_server_once "$@" && return 0
    echo "$(basename "$0"): $1 failed to start (attempt $attempt)" >&2
  done
  return 1
}

start_server_once() {
  local system="$1" strace_log="${2:-}"
  local data="$work/$system-$((++cell_number))"
  mkdir -p "$data"
  server_log="$data.log"
  port="$(free_port)"
  http_port="$(free_port)"
  server_command "$system" "$data"
  if [[ -n "$strace_log" ]]; then
    taskset -c 1 strace -f --seccomp-bpf -e trace=fsync,fdatasync -o "$strace_log" "${cmd[@]}" \
      >"$data.log" 2>&1 &
    wrapper_pid=$!
  else
    taskset -c 1 "${cmd[@]}" >"$data.log" 2>&1 &
    server_pid=$!
  fi
  if ! wait_port "$port" 20; then
    echo "$(basename "$0"): $system did not start listening on $port; its log:" >&2
    tail -n 20 "$data.log" >&2
    if [[ -n "$wrapper_pid" ]]; then kill -TERM "$wrapper_pid" 2>/dev/null || true; wait "$wrapper_pid" 2>/dev/null || true; fi
    [[ -n "$server_pid" ]] && { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
    server_pid="" wrapper_pid="" server_log=""
    return 1
  fi
  [[ -n "$wrapper_pid" ]] && server_pid="$(pgrep -P "$wrapper_pid" | head -n 1)"
  return 0
}

# Tarn counts its fsyncs; when its metrics endpoint serves the counter, the timed runs read it.
# The HTTP listener may open a moment after the Kafka one that start_server waited for, so this
# tries for up to 5 s. (The page is read whole: grep -q leaving a pipe early would fail curl
# under pipefail.)
fsync_source() {
  local system="$1" metrics=""
  if [[ "$system" == tarn ]] && command -v curl >/dev/null; then
    for _ in $(seq 50); do
      metrics="$(curl -sf --max-time 2 "http://127.0.0.1:$http_port/metrics" || true)"
      grep -q '^tarn_log_fsyncs_total' <<<"$metrics" && break
      sleep 0.1
    done
  fi
  if grep -q '^tarn_log_fsyncs_total' <<<"$metrics"; then
    echo "metrics:http://127.0.0.1:$http_port/metrics"
  else
    echo none
  fi
}

# Says so when the machine is busy: on two shared cores the figures are then noise.
warn_if_busy() {
  echo "$(basename "$0"): $(uptime)"
  local load
  load="$(cut -d' ' -f1 /proc/loadavg)"
  if awk -v l="$load" 'BEGIN { exit !(l > 1.0) }'; then
    echo "$(basename "$0"): WARNING: load average $load on $(nproc) CPUs: the machine is busy, figures will be noisy" >&2
  fi
}
