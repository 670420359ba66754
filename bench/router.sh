#!/usr/bin/env bash
# The router benchmark (bench/router/router_bench.py): builds tarn (release preset), then for 1,
# 100 and 10,000 rules measures events per second from a full bus to the channels, and runs the
# matcher's micro-benchmark (nanoseconds per event). Every run is bounded in time.
#   bench/router.sh [--events N] [--reps N] [--rules 1,100,10000] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/build.sh "$@"
build_release tarn pattern_bench
timeout --kill-after=30 3600 /usr/bin/python3 bench/router/router_bench.py \
  --tarn build/release/src/app/tarn "${args[@]}"
echo
echo "matcher, per event (PatternIndex; bench/README.md):"
timeout 600 build/release/src/events/pattern_bench --benchmark_min_time=0.5 2>/dev/null |
  grep -E "^(BM_|Benchmark|-)"
