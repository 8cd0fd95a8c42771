#!/usr/bin/env bash
# flopscope under CUPTI 13.2, the one PyTorch's CUDA 13 wheels bring, where no
# driver answers. That CUPTI overflows its stack on its first call there (13.0
# returns), so:
#   - an application that calls NVTX, having loaded that CUPTI first as
#     `import torch` does, runs to its end under `flopscope profile` and keeps its
#     exit code: the injection library does not hand NVTX to CUPTI (found with
#     `flopscope profile -- python3 scripts/torch_step.py --device cpu`, SIGSEGV);
#   - `flopscope metrics`, which needs no GPU, refuses in one line with exit 3
#     instead of crashing (found by running the host-API tests under it).
#   cupti_13_2_without_driver.sh SOURCE_DIR BUILD_DIR
# The wheel's CUPTI comes from scripts/setup-deps.sh (.pytools); skipped, visibly,
# without it.
set -u
src=$1 build=$2
lib="$src/.pytools/site/nvidia/cu13/lib"
cupti="$lib/libcupti.so.13"
loader="$build/tests/inject_loader"
fs="$build/tools/flopscope"
if [ ! -f "$cupti" ]; then
  echo "[  SKIPPED ] no CUPTI 13.2 wheel at $cupti: run scripts/setup-deps.sh"
  exit 77  # ctest: skipped (SKIP_RETURN_CODE)
fi
[ -x "$loader" ] || { echo "FAIL: $loader is not built"; exit 1; }
err=$(mktemp)
trap 'rm -f "$err"' EXIT
fail() { echo "FAIL: $*"; cat "$err"; exit 1; }

# The control: CUPTI 13.2 as the NVTX injection itself.
# (A child shell reports the crash, so its line stays out of this test's output.)
INJECT_LOADER_CUPTI="$cupti" NVTX_INJECTION64_PATH="$cupti" bash -c '"$0" nvtx 0; exit $?' "$loader" >/dev/null 2>&1
control=$?
if [ "$control" != 0 ]; then  # a signal, or a sanitizer's report of the overflow
  crashes=1
  echo "control: CUPTI 13.2 as the NVTX injection alone killed the application (exit $control)"
else
  crashes=0
  echo "control: CUPTI 13.2 alone did not crash here (exit $control): a driver answers, or a fixed CUPTI"
fi

for code in 0 5; do
  "$fs" profile -- env INJECT_LOADER_CUPTI="$cupti" "$loader" nvtx "$code" 2>"$err"
  rc=$?
  # 3 (profiling impossible) only for an application that succeeded: a failing
  # one's status is passed on (docs/profile.md).
  if grep -q "killed by signal" "$err" || { [ "$rc" != "$code" ] && { [ "$code" != 0 ] || [ "$rc" != 3 ]; }; }; then
    fail "the application exiting $code under profile ended with $rc"
  fi
  echo "application exiting $code: profile exited $rc"
done

LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$fs" metrics --chip GH100 >/dev/null 2>"$err"
rc=$?
echo "metrics --chip GH100 under CUPTI 13.2: exit $rc"
if [ "$crashes" = 1 ]; then
  [ "$rc" = 3 ] || fail "metrics: expected exit 3, got $rc"
  [ "$(wc -l <"$err")" = 1 ] || fail "metrics: expected one line"
  grep -q "flopscope: error: the CUPTI library $lib/libcupti.so.13 cannot run without an NVIDIA driver" "$err" ||
    fail "metrics: the line does not name the library"
  sed 's/^/  /' "$err"
else
  [ "$rc" = 0 ] || fail "metrics: expected exit 0 where CUPTI 13.2 runs, got $rc"
fi
echo "passed"
