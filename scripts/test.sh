#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test.
#   1. a Release build with CUDA (when the toolkit is present) and all tests;
#      tests labelled `gpu` report themselves as skipped where there is no GPU;
#   2. a second, host-only build under AddressSanitizer + UBSan, running the
#      CPU tests again (skip it with --no-sanitize).
# Usage: scripts/test.sh [--no-sanitize] [--no-setup]
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=1
setup=1
for arg in "$@"; do
  case "$arg" in
    --no-sanitize) sanitize=0 ;;
    --no-setup) setup=0 ;;
    -h|--help) sed -n '2,7p' scripts/test.sh; exit 0 ;;  # from the checkout's root
    *) echo "test.sh: unknown option '$arg' (see scripts/test.sh --help)" >&2; exit 2 ;;
  esac
done

[ "$setup" = 1 ] && scripts/setup-deps.sh
export PATH="$PWD/.pytools/bin:$PATH"

cuda=ON
if ! command -v nvcc >/dev/null 2>&1; then
  if [ -x /usr/local/cuda/bin/nvcc ]; then export PATH="/usr/local/cuda/bin:$PATH"
  else cuda=OFF; echo "test.sh: no CUDA toolkit found: building the host-only part"; fi
fi
jobs=$(nproc)

echo "== build (Release, CUDA=$cuda)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOPSCOPE_CUDA=$cuda >/dev/null
cmake --build build -j "$jobs"
echo "== tests"
# Where nvidia-smi sees a GPU, a GPU test that cannot use it fails instead of
# skipping (tests/gpu/require_gpu.h): a broken driver must not read as passed.
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then export FLOPSCOPE_EXPECT_GPU=1; fi
# Where the driver lets every user read counters, a counter test refused as
# "restricted to administrators" fails instead of skipping (as device-check does).
grep -qsx 'RmProfilingAdminOnly: 0' /proc/driver/nvidia/params && export FLOPSCOPE_EXPECT_COUNTERS=1

# ctest, its summary, then the skipped tests by reason (ctest shows none).
run_ctest() {  # BUILD_DIR [--sanitizers] -- CTEST_ARGS...
  local dir=$1 check=$2 out rc
  shift 3
  out=$(mktemp)
  set +e
  (cd "$dir" && ctest "$@") | tee "$out"
  rc=${PIPESTATUS[0]}
  scripts/test-report.sh "$dir" "$out" $check || rc=1
  set -e
  rm -f "$out"
  return "$rc"
}
# --no-tests=error: a build configured without tests must not pass having run none.
run_ctest build "" -- --output-on-failure --no-tests=error -j "$jobs"

if [ "$sanitize" = 1 ]; then
  echo "== build (ASan + UBSan, host-only)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFLOPSCOPE_SANITIZE=ON \
        -DFLOPSCOPE_KERNELS=OFF -DFLOPSCOPE_CUDA=$cuda >/dev/null
  cmake --build build-asan -j "$jobs"
  echo "== tests under ASan + UBSan (label cpu)"
  # protect_shadow_gap=0: the CUDA runtime maps memory in ASan's shadow gap.
  # intercept_tls_get_addr=0: LeakSanitizer's scan of dynamic TLS (CUPTI's
  # dlopened libraries) can read a bogus range and crash its tracer at exit,
  # depending on the environment's layout (seen under ctest, not outside it).
  # A sanitizer report in any test's output fails the run, even in a test
  # ctest calls skipped (test-report.sh).
  ASAN_OPTIONS=protect_shadow_gap=0:detect_leaks=1:intercept_tls_get_addr=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_ctest build-asan --sanitizers -- --output-on-failure --no-tests=error -L cpu -j "$jobs"
fi
