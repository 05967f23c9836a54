#!/usr/bin/env bash
# The main job: install what is missing, build the `ptspec` tool, and run
# `ptspec check` -- every lemma proved, every property campaign run, every
# corpus case replayed -- on the built-in default configurations.
#
#   scripts/run-check.sh [ptspec check options...]
#   e.g. scripts/run-check.sh --format arm64.stage2 --cases 500 --json
#
# Exit code: that of `ptspec check` (0 all hold, 1 a check failed, 2 bad input).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

ensure_packages "${PTSPEC_BUILD_PACKAGES[@]}"
configure build g++
log "building ptspec"
cmake --build build --target ptspec -j "$PTSPEC_JOBS"
log "ptspec check $*"
exec build/bin/ptspec check "$@"
