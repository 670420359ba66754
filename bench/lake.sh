#!/usr/bin/env bash
# The lake benchmark (bench/lake/lake_bench.py): builds tarn (release preset), then measures the
# hub's produce rate, the archiver's rate over the same events (events/s, MB/s, compression) and
# query times over the archive. Every run is bounded in time.
#   bench/lake.sh [--events N] [--event-bytes N] [--filler hex|text] [--reps N] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/build.sh "$@"
build_release tarn
echo "lake.sh: $(uptime)"
timeout --kill-after=30 7200 /usr/bin/python3 bench/lake/lake_bench.py \
  --tarn build/release/src/app/tarn "${args[@]}"
echo "lake.sh: $(uptime)"
