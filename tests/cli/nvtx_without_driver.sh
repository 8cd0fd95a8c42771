#!/usr/bin/env bash
# `flopscope profile` of an application that calls NVTX and has loaded the CUPTI
# of PyTorch's CUDA 13 wheels (13.2) first, as `import torch` does, on a machine
# with no driver. CUPTI 13.2's NVTX entry point recurses there until the stack
# overflows (13.0's returns), so the injection library must not hand NVTX to it:
# found with `flopscope profile -- python3 scripts/torch_step.py --device cpu`,
# which died of SIGSEGV. The application must run to its end and keep its exit code.
#   nvtx_without_driver.sh SOURCE_DIR BUILD_DIR
# The wheel's CUPTI comes from scripts/setup-deps.sh (.pytools); skipped, visibly,
# without it.
set -u
src=$1 build=$2
cupti="${FLOPSCOPE_PYTOOLS:-$src/.pytools}/site/nvidia/cu13/lib/libcupti.so.13"
loader="$build/tests/inject_loader"
if [ ! -f "$cupti" ]; then
  echo "[  SKIPPED ] no CUPTI 13.2 wheel at $cupti: run scripts/setup-deps.sh"
  exit 0
fi
[ -x "$loader" ] || { echo "FAIL: $loader is not built"; exit 1; }

# The control: CUPTI 13.2 as the NVTX injection itself. Where it crashes, the
# run below is what keeps the application alive; where a driver answers it may not.
(INJECT_LOADER_CUPTI="$cupti" NVTX_INJECTION64_PATH="$cupti" "$loader" nvtx 0 >/dev/null 2>&1) 2>/dev/null
control=$?
if [ "$control" -ge 128 ]; then
  echo "control: CUPTI 13.2 as the NVTX injection alone killed the application (exit $control)"
else
  echo "control: CUPTI 13.2 alone did not crash here (exit $control): a driver answers, or a fixed CUPTI"
fi

err=$(mktemp)
trap 'rm -f "$err"' EXIT
for code in 0 5; do
  "$build/tools/flopscope" profile -- env INJECT_LOADER_CUPTI="$cupti" "$loader" nvtx "$code" 2>"$err"
  rc=$?
  if grep -q "killed by signal" "$err" || { [ "$rc" != "$code" ] && [ "$rc" != 3 ]; }; then
    echo "FAIL: the application exiting $code under profile ended with $rc"
    cat "$err"
    exit 1
  fi
  echo "application exiting $code: profile exited $rc"
done
sed 's/^/  /' "$err"
echo "passed"
