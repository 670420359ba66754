#!/usr/bin/env bash
# HTTP publishing beside librdkafka producing the same events (bench/http/http_publish_bench.py):
# builds tarn (release preset), then runs throughput and latency cells for both and prints the
# medians and the ratios. Every cell is bounded in time.
#   bench/http.sh [--events N] [--reps N] [--rate EVENTS_PER_S] [--http-clients N] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
args=()
for arg in "$@"; do
  if [[ "$arg" == --no-build ]]; then build=0; else args+=("$arg"); fi
done
if ((build)); then
  scripts/setup --test
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  cmake --preset release >/dev/null
  cmake --build --preset release --target tarn
fi
exec timeout --kill-after=30 3600 /usr/bin/python3 bench/http/http_publish_bench.py \
  --tarn build/release/src/app/tarn "${args[@]}"
