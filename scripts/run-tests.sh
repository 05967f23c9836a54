#!/usr/bin/env bash
# The whole test suite: install what is missing, then
#   1. build everything with g++ (build/) and run CTest: unit tests, CLI tests,
#      pytest and the example notebook;
#   2. build again with clang++ and AddressSanitizer + UBSan plus the libFuzzer
#      targets (build-asan/; no Python module, no benchmarks) and run CTest
#      there, which includes a bounded fuzz run of the case loader.
# Stops at the first failing step; exit code 0 only if everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

start=$(date +%s)
ensure_packages "${PTSPEC_BUILD_PACKAGES[@]}" "${PTSPEC_TEST_PACKAGES[@]}"

configure build g++
log "building build/"
cmake --build build -j "$PTSPEC_JOBS"
log "testing build/"
# A test that hangs fails after 20 minutes instead of blocking CI.
ctest --test-dir build --output-on-failure --timeout 1200 -j "$PTSPEC_JOBS"

# -O1 keeps sanitizer runs fast enough; frame pointers give readable stacks.
configure build-asan clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DPTSPEC_PYTHON=OFF -DPTSPEC_BENCH=OFF -DPTSPEC_TESTS=ON -DPTSPEC_FUZZ=ON
log "building build-asan/ (sanitizers + fuzz targets)"
cmake --build build-asan -j "$PTSPEC_JOBS"
log "testing build-asan/ (sanitizers + bounded fuzz run)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build-asan --output-on-failure --timeout 1200 -j "$PTSPEC_JOBS"

log "all tests passed in $(( $(date +%s) - start )) s"
