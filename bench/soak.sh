#!/usr/bin/env bash
# The consumer-group soak (bench/soak/soak.py): builds tarn (release preset), then produces and
# consumes through one group for --seconds (default 600) while members join, leave and die, and
# checks that every acknowledged record was consumed, that committed offsets never went
# backwards and that the server's memory stayed flat. Not part of the test suite.
#   bench/soak.sh [--seconds N] [--rate R] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup --test
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release --target tarn
exec timeout --kill-after=30 1800 /usr/bin/python3 bench/soak/soak.py --tarn build/release/src/app/tarn "$@"
