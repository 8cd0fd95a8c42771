#!/usr/bin/env bash
# scripts/device-check.sh past its GPU check, on a machine without a GPU: a
# stand-in nvidia-smi says there is one, so every GPU step runs and fails, or is
# reported absent, as on a lease whose GPU cannot be used. The script must still
# reach its summary with a row for each step, hit no shell error (an unbound
# variable, a missing command), leave at most 8 files, report the GPU tests as
# failing, not as passed by skipping (FLOPSCOPE_EXPECT_GPU), and exit 1. Skipped
# (visibly) where a GPU is present.
#   device_check_fakegpu.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
if nvidia-smi -L >/dev/null 2>&1; then
  echo "[  SKIPPED ] a GPU is visible here; this test stands one in where there is none"
  exit 77  # ctest: skipped (SKIP_RETURN_CODE)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out/stdout"; echo "--- stderr"; cat "$out/stderr"; exit 1; }
mkdir -p "$out/bin" "$out/dc"
printf '#!/bin/sh\n[ "$1" = -L ] && echo "GPU 0: NVIDIA H200 (UUID: GPU-stand-in)"\nexit 0\n' >"$out/bin/nvidia-smi"
chmod +x "$out/bin/nvidia-smi"
# Every step but cpu-tests (it would run this test again).
steps=devices,gpu-tests,counter-fixtures,ncu,ncu-twin,crosscheck,profile-torch-flops,torch-crosscheck
steps+=,crosscheck-read-flush,ncu-app-replay,bench-user-replay,bench,bench-large,bench-large-counted,targets,counter-checks,ceilings,wgmma-large,profile-torch
steps+=,mma-tiles,mma-tiles-check,ffn-wgmma,wgmma-counted,power-trace,sanitize-memcheck,sanitize-racecheck,sanitize-wgmma,sanitize-wgmma-racecheck,ncu-tune
PATH="$out/bin:$PATH" bash "$src/scripts/device-check.sh" --out "$out/dc" --build "$build" --budget 200 \
  --only "$steps" >"$out/stdout" 2>"$out/stderr"
rc=$?
# 1: steps failed (0 would pass a run whose GPU cannot be used); the summary
# rows below show the script got to its end.
[ "$rc" -eq 1 ] || fail "exit $rc, not 1 (steps failed)"
grep -Eiq "unbound variable|syntax error|command not found|failed to run command" \
  "$out/stderr" "$out/dc/run.log" && fail "a shell error (see run.log: $(grep -Ei 'unbound|syntax|not found|failed to run' "$out/dc/run.log" | head -3))"
for row in probe build devices gpu-tests bench ceilings sanitizers; do
  grep -Eq "^$row +" "$out/stdout" || fail "no summary row for $row"
done
if [ -x "$build/tests/session_gpu_test" ]; then
  grep -Eq "^gpu-tests +rc=" "$out/stdout" || fail "the GPU tests did not fail with no usable GPU"
  grep -q "FLOPSCOPE_EXPECT_GPU is set" "$out/dc/run.log" || fail "no GPU test said a GPU was expected"
fi
grep -Eq "^devices +ok" "$out/stdout" && fail "flopscope devices succeeded without a GPU"
# Without a GPU a step fails for that (3), never because flopscope refused the
# options the script gives it (2: an option renamed or dropped since). A build
# without kernels refuses bench itself with 2, so only where the kernels are.
if [ -x "$build/tests/session_gpu_test" ]; then
  grep -Eq "^[a-z0-9-]+ +rc=2 " "$out/stdout" && fail "a step's command line was refused: $(grep -E ' rc=2 ' "$out/stdout")"
fi
n=$(ls -A "$out/dc" | wc -l)
[ "$n" -le 8 ] || fail "$n files in the output directory, at most 8 allowed: $(ls -A "$out/dc")"
if [ -x "$build/tests/session_gpu_test" ]; then
  echo "device-check with a stand-in GPU: every step reported, GPU tests failing, $n files"
else
  # A build without kernels (the sanitizer build) has no GPU tests, and bench
  # refuses itself there: those two checks did not run.
  echo "device-check with a stand-in GPU: every step reported, $n files; not checked here (no kernels in $build): the GPU tests failing, steps' options accepted"
fi
