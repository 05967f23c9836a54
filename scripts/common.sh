# Shared by run-check.sh and run-tests.sh (sourced, not run).

# Debian's own python3: the tests, the bindings and the notebook need its
# packages (python3-pytest, python3-nbclient, ...), and a python3 earlier on
# PATH (pyenv, venv) would not have them.
export PATH="/usr/bin:$PATH"
PTSPEC_PYTHON=/usr/bin/python3

# Every Debian package a full build and test run needs.
PTSPEC_BUILD_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libz3-dev librapidcheck-dev libbenchmark-dev libgtest-dev libgmock-dev
  pybind11-dev python3-dev nlohmann-json3-dev libcli11-dev libfmt-dev
)
PTSPEC_TEST_PACKAGES=(
  clang libclang-rt-14-dev
  python3-pytest python3-z3 python3-nbclient python3-nbformat python3-ipykernel python3-matplotlib
)

log() { printf '\n==> %s\n' "$*" >&2; }

# ensure_packages PKG...: installs only those not installed yet.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
      sudo=(sudo)
    else
      echo "error: missing packages (${missing[*]}) and not root; install them and retry" >&2
      exit 2
    fi
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# A build tree configured for another generator or compiler cannot be
# reconfigured in place; start it afresh.
reset_if_incompatible() {
  local dir=$1 compiler=$2 cache="$1/CMakeCache.txt"
  [ -f "$cache" ] || return 0
  local gen cxx
  gen=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$cache")
  cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$cache")
  if [ "$gen" != "Ninja" ] || { [ -n "$cxx" ] && [ "$(basename "$cxx")" != "$compiler" ] &&
                                [ "$(readlink -f "$cxx")" != "$(readlink -f "$(command -v "$compiler")")" ]; }; then
    log "$dir was configured with '$gen' / '$cxx'; starting it afresh"
    rm -rf "$dir"
  fi
}

# configure DIR COMPILER [cmake args...]
configure() {
  local dir=$1 compiler=$2
  shift 2
  reset_if_incompatible "$dir" "$compiler"
  log "configuring $dir ($compiler)"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$compiler" \
    -DPython3_EXECUTABLE="$PTSPEC_PYTHON" -DPython_EXECUTABLE="$PTSPEC_PYTHON" \
    -DPYTHON_EXECUTABLE="$PTSPEC_PYTHON" "$@"
}

# Two cores by default; override with PTSPEC_JOBS.
PTSPEC_JOBS=${PTSPEC_JOBS:-2}
