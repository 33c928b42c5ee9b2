#!/usr/bin/env bash
# tests/consumers/run.sh -- builds and runs one tiny program against gort in each way
# a user can consume it, from an install prefix that is not the one gort was
# configured with (the prefix is installed, then moved, so nothing may depend on
# the original path):
#   1. find_package(gort 0.1)   from the moved prefix (CMAKE_PREFIX_PATH)
#   2. pkg-config               from the moved prefix (PKG_CONFIG_PATH)
#   3. add_subdirectory         of this source tree
#   4. FetchContent             of this repository's committed HEAD (a local clone, no network)
#
# usage: tests/consumers/run.sh <gort build dir> [work dir]
# The build dir must be built (cmake --build); the work dir (default
# <build dir>/consumers) is emptied first.  Set GORT_CONSUMERS to a subset of
# "find_package pkg-config subdirectory fetchcontent" to run fewer.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: run.sh <gort build dir> [work dir]}" && pwd)
work=${2:-$build/consumers}
consumers=${GORT_CONSUMERS:-find_package pkg-config subdirectory fetchcontent}
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
generator=$(sed -n 's/^CMAKE_GENERATOR:[A-Z]*=//p' "$build/CMakeCache.txt")
jobs=${GORT_CONSUMER_JOBS:-2}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)  # absolute: the consumers' builds run in other directories
cmake --install "$build" --prefix "$work/installed-here" >/dev/null
mv "$work/installed-here" "$work/prefix"   # relocated: the recorded prefix is gone
prefix=$work/prefix

check() {  # check <name> <program>: runs it and checks its output
  local out
  out=$("$2")
  if [ "$out" != "gort consumer: sum of squares 14" ]; then
    echo "consumer $1: unexpected output: $out" >&2
    exit 1
  fi
  echo "consumer $1: ok"
}

cmake_consumer() {  # cmake_consumer <mode> [cmake args...]
  local mode=$1
  shift
  cmake -S "$here" -B "$work/$mode" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_BUILD_TYPE=Release -DGORT_CONSUMER="$mode" "$@" >"$work/$mode.log" 2>&1 \
    || { cat "$work/$mode.log" >&2; exit 1; }
  cmake --build "$work/$mode" -j "$jobs" >>"$work/$mode.log" 2>&1 || { cat "$work/$mode.log" >&2; exit 1; }
  check "$mode" "$work/$mode/consumer"
}

for c in $consumers; do
  case $c in
    find_package) cmake_consumer find_package -DCMAKE_PREFIX_PATH="$prefix" ;;
    pkg-config)
      pcdir=$(dirname "$(find "$prefix" -name gort.pc | head -n1)")
      # shellcheck disable=SC2046  # pkg-config's output is meant to be word-split
      "$cxx" -o "$work/pkg-config-consumer" "$here/consumer.cpp" \
             $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs gort) \
             -Wl,-rpath,"$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir gort)"  # for a shared libgort
      check pkg-config "$work/pkg-config-consumer" ;;
    subdirectory) cmake_consumer subdirectory -DGORT_SOURCE_DIR="$src" ;;
    fetchcontent)
      # The committed HEAD, cloned from this checkout: what a user's FetchContent of
      # a gort release would get, without the network.
      cmake_consumer fetchcontent -DGORT_GIT_REPOSITORY="$src" \
                     -DGORT_GIT_TAG="$(git -C "$src" rev-parse HEAD)" ;;
    *) echo "unknown consumer: $c" >&2; exit 2 ;;
  esac
done
