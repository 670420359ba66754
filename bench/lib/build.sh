# What the Python-driven benchmark scripts (router.sh, lake.sh) share. Sourced, not run, from
# the checkout's root with the script's arguments: takes --no-build out of them (the rest go to
# the array `args`, for the driver), and build_release TARGET... installs what the benchmarks
# need and builds TARGETs with the release preset (at most two compile jobs) unless --no-build.

build=1
args=()
for arg in "$@"; do
  if [[ "$arg" == --no-build ]]; then build=0; else args+=("$arg"); fi
done
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

build_release() {
  ((build)) || return 0
  scripts/setup --test
  cmake --preset release >/dev/null
  cmake --build --preset release -j 2 --target "$@"
}
