#!/usr/bin/env bash
# Everything flopscope can check on a real GPU, in one go, within a short lease.
#
#   scripts/device-check.sh [--out DIR] [--build DIR] [--quick] [--budget S] [--only LIST]
#
# --build build-carry uses the tree scripts/pack-device-build.sh made here (carry
# it with .deps): no compiling on the lease when its binaries run there.
#
# 1. probes the machine (driver, CUDA, glibc, CUPTI/nvperf/cuBLAS paths, counter
#    permission, ncu and compute-sanitizer versions, whether our binaries run);
# 2. stops there, with a clear line and exit 3, when no GPU is visible;
# 3. uses the prebuilt tree (--build, default build/) when its binaries run here,
#    else builds one with whatever dependencies it can find;
# 4. runs the GPU tests, compute-sanitizer memcheck and racecheck over the
#    reference kernels at small sizes, the default benchmark suite with counters,
#    raw counter fixtures for tests/fixtures/counters/h200/, the performance targets
#    and the counters' exact counts (bench/targets-h200.txt, bench/counters-h200.txt,
#    checked against those results), `flopscope ceilings`,
#    `flopscope profile` of a PyTorch training step, and the same kernels under
#    `ncu --clock-control none` and under `flopscope profile`, set side by side
#    by `flopscope crosscheck`.
# Each step degrades gracefully: a subcommand this build lacks is reported as
# "absent", never faked. At most 8 files are written to DIR (default $OUT, else
# ./device-out): probe.txt run.log bench.json bench_large.json ceilings.json
# profile.json counters.tar ncu.csv. counters.tar holds every raw counter file
# (.fscounters, `flopscope report F` re-evaluates one anywhere) with the results
# of the same run: bench_suite.fscounters (the bench step, beside bench.json),
# the fixtures <what>.fscounters + <what>.json (docs/collector.md),
# profile_flops.json + profile_flops.fscounters (the profile step with counters),
# torch_flops.json (PyTorch's own count per NVTX range, set beside profile_flops.json),
# ncu_twin.json (the profile that crosscheck sets beside ncu.csv),
# and wgmma_large.json (gemm.wgmma at 8192^3, run apart: never run before).
# A short table is printed last (and appended to run.log).
# --budget S (default 540) bounds the whole run: steps are ordered by value and a
# step that no longer fits is reported "no time". --only LIST runs just those
# steps (comma-separated names from the table), e.g. for a second call.
# It never changes clocks or resets the GPU; ncu runs with --clock-control none.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

out="${OUT:-$ROOT/device-out}"
build="$ROOT/build"
quick=0
budget=540
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --budget) budget="$2"; shift 2 ;;
    --only) only=",$2,"; shift 2 ;;
    -h|--help) sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "device-check: unknown option '$1' (see scripts/device-check.sh --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
log="$out/run.log"
: >"$log"
summary=()   # "step|status|seconds|note"

# Run one step with a time limit, within what is left of the budget; its output
# goes to run.log. Steps not named by --only are skipped silently.
step() {
  local name="$1" limit="$2"; shift 2
  if [ -n "$only" ] && [[ "$only" != *",$name,"* ]]; then NOTE=""; return 0; fi
  local left=$((budget - SECONDS))
  if [ "$left" -lt 20 ]; then
    summary+=("$name|no time|0|budget of ${budget}s spent"); NOTE=""; return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local t0=$SECONDS rc
  echo "=== $name: $*" >>"$log"
  timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  local status=ok
  [ $rc -ne 0 ] && status="rc=$rc"
  [ $rc -eq 124 ] && status="timeout ${limit}s"
  summary+=("$name|$status|$((SECONDS - t0))|${NOTE:-}")
  NOTE=""
  echo "=== $name: $status ($((SECONDS - t0)) s)" >>"$log"
  return $rc
}
absent() { summary+=("$1|absent|0|$2"); echo "=== $1: absent: $2" >>"$log"; }

print_summary() {
  {
    printf '\n%-22s %-14s %5s  %s\n' step status s note
    for row in "${summary[@]}"; do
      IFS='|' read -r a b c d <<<"$row"
      printf '%-22s %-14s %5s  %s\n' "$a" "$b" "$c" "$d"
    done
  } | tee -a "$log"
}

# ---- 1. probe -------------------------------------------------------------------
probe() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "host: $(uname -srm)"
  echo "glibc: $(ldd --version 2>&1 | head -n1)"
  echo "--- nvidia-smi"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,pci.bus_id,memory.total,clocks.max.sm,clocks.sm,power.limit,persistence_mode --format=csv 2>&1
    nvidia-smi 2>&1 | sed -n '1,4p'
  else
    echo "nvidia-smi: not found"
  fi
  echo "--- nvcc"; if command -v nvcc >/dev/null 2>&1; then nvcc --version | tail -n2; else echo "nvcc: not found"; fi
  echo "--- libraries"
  for lib in libcupti.so libnvperf_host.so libnvperf_target.so libcublas.so libcublasLt.so libcuda.so.1; do
    paths=$( (ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 ~ "^"l {print $NF}';
              find /usr/local/cuda*/ /usr/lib /usr/local/lib -name "${lib}*" 2>/dev/null) | sort -u | tr '\n' ' ')
    echo "$lib: ${paths:-not found}"
  done
  echo "--- profiling permission"
  echo "uid: $(id -u)"
  grep -H RmProfilingAdminOnly /proc/driver/nvidia/params 2>/dev/null || echo "RmProfilingAdminOnly: /proc/driver/nvidia/params not readable"
  echo "--- tools"
  for tool in ncu compute-sanitizer nsys; do
    if command -v "$tool" >/dev/null 2>&1; then echo "$tool: $(command -v "$tool"): $("$tool" --version 2>&1 | tail -n1)"
    else echo "$tool: not found"; fi
  done
  echo "cmake: $(cmake --version 2>&1 | head -n1)"; echo "ninja: $(ninja --version 2>&1)"
  echo "python3: $(python3 --version 2>&1)"
  echo "torch: $(python3 -c 'import torch;print(torch.__version__, torch.version.cuda)' 2>&1 | tail -n1)"
  echo "--- prebuilt flopscope ($build)"
  if [ -x "$build/tools/flopscope" ]; then
    "$build/tools/flopscope" --version 2>&1
    ldd "$build/tools/flopscope" 2>&1 | grep -E 'not found|cupti|cublas|libstdc|libc\.so'
  else
    echo "no prebuilt binary at $build/tools/flopscope"
  fi
}
t0=$SECONDS
probe >"$out/probe.txt" 2>&1
summary+=("probe|ok|$((SECONDS - t0))|probe.txt")

# ---- 2. is there a GPU? -----------------------------------------------------------
if ! nvidia-smi -L >/dev/null 2>&1; then
  summary+=("gpu|none|0|stopping: no GPU visible (nvidia-smi -L failed)")
  echo "device-check: no GPU visible here (nvidia-smi -L failed): stopping after the probe" >&2
  print_summary
  exit 3
fi

# ---- 3. build, or use the prebuilt tree -------------------------------------------
# ctest files hold the absolute paths of the machine that configured them; make
# those paths resolve when this checkout lives elsewhere.
configured_src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null)
if [ -n "$configured_src" ] && [ "$configured_src" != "$ROOT" ] && [ ! -e "$configured_src" ]; then
  mkdir -p "$(dirname "$configured_src")" && ln -s "$ROOT" "$configured_src"
fi
fs="$build/tools/flopscope"
if ! "$fs" --version >/dev/null 2>&1; then
  # No package registry there: the dependencies come carried in .deps/
  # (scripts/vendor-deps.sh), the CUDA toolkit from the machine. Warnings stay
  # warnings: a newer compiler there must not cost the lease (CI keeps -Werror).
  deps=""; [ -d "$ROOT/.deps" ] && deps="-DCMAKE_PREFIX_PATH=$ROOT/.deps"
  NOTE="prebuilt tree does not run here; building" \
  step build 300 bash -c "cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOPSCOPE_WERROR=OFF $deps && cmake --build build-device -j$(nproc)" \
    && build="$ROOT/build-device" && fs="$build/tools/flopscope"
else
  summary+=("build|prebuilt|0|$build")
fi
has() { "$fs" "$1" --help >/dev/null 2>&1; }
# Raw counter files and their results, packed into counters.tar at the end.
cstage=$(mktemp -d)
trap 'rm -rf "$cstage"' EXIT
counters_ok=0
"$fs" bench --help 2>&1 | grep -q -- --counters && counters_ok=1

step devices 30 "$fs" devices

# ---- 4. GPU tests ------------------------------------------------------------------
# The test programs themselves, not ctest: a carried tree's ctest files name
# this machine's CMake modules. Every tests/*_gpu_test program is labelled gpu.
gpu_tests=("$build"/tests/*_gpu_test)
if [ -x "${gpu_tests[0]}" ]; then
  NOTE="${#gpu_tests[@]} programs" \
  step gpu-tests 240 bash -c 'rc=0; for t in "$@"; do echo "--- $t"; "$t" --gtest_color=no || rc=1; done; exit $rc' \
    gpu-tests "${gpu_tests[@]}"
else
  absent gpu-tests "no tests/*_gpu_test program in $build"
fi

# ---- 5. benchmarks with counters, ceilings ----------------------------------------
if has bench; then
  if [ "$counters_ok" = 1 ]; then
    NOTE="counters: bench_suite.fscounters in counters.tar" \
    step bench 240 "$fs" bench --metrics roofline --out "$out/bench.json" --counters "$cstage/bench_suite.fscounters"
  elif "$fs" bench --help 2>&1 | grep -q -- --metrics; then
    step bench 240 "$fs" bench --metrics roofline --out "$out/bench.json"
  else
    NOTE="no --metrics in this build" step bench 240 "$fs" bench --out "$out/bench.json"
  fi
  # Fixtures: small runs whose counts are known exactly (2*M*N*K; 4 bytes x 2^26 per direction).
  if [ "$counters_ok" = 1 ]; then
    fixture() {  # NAME KERNEL SHAPE SET
      "$fs" bench --kernel "$2" --shape "$3" --metrics "$4" --reps 3 \
        --counters "$cstage/$1.fscounters" --out "$cstage/$1.json"
    }
    NOTE="tests/fixtures/counters/h200 candidates, in counters.tar" \
    step counter-fixtures 90 bash -c "$(declare -f fixture); fs='$fs'; cstage='$cstage'
      fixture gemm_naive_fp32_256x192x128 'gemm\.naive\.fp32' 256x192x128 flops &&
      fixture gemm_mma_sync_bf16_256x256x256 'gemm\.mma_sync\.bf16' 256x256x256 flops &&
      fixture copy_fp32_2p26 'memory\.copy\.fp32' n=67108864 roofline"
  else
    absent counter-fixtures "no bench --counters in this build"
  fi
  NOTE="the 8192^3 GEMM targets" \
  step bench-large 90 "$fs" bench --kernel 'gemm\.(cublas|mma_sync)\.bf16|gemm\.(cublas|reg_tiled)\.fp32' --shape large --out "$out/bench_large.json"
  # gemm.wgmma has never run on a GPU: its own process, so a hang (its 10 s
  # mbarrier guard) or a broken context cannot take the other kernels with it.
  NOTE="never run before; results in counters.tar" \
  step wgmma-large 60 "$fs" bench --kernel 'gemm\.wgmma' --shape large --out "$cstage/wgmma_large.json"
  # The performance targets against what was just measured: no GPU work, a
  # check of the two results files (PASS/FAIL per target in run.log).
  if [ -s "$out/bench.json" ] && [ -s "$out/bench_large.json" ]; then
    NOTE="bench/targets-h200.txt; rc=1: a target missed" \
    step targets 20 "$fs" check "$out/bench.json" "$out/bench_large.json" --contracts bench/targets-h200.txt
  fi
  if [ -s "$out/bench.json" ]; then
    NOTE="bench/counters-h200.txt: exact FLOPs and bytes" \
    step counter-checks 20 "$fs" check "$out/bench.json" --contracts bench/counters-h200.txt
  fi
else
  absent bench "flopscope bench is not in this build"
fi
if has ceilings; then
  qa=(); [ "$quick" = 1 ] && qa=(--quick)
  step ceilings 120 "$fs" ceilings "${qa[@]}" --out "$out/ceilings.json"
else
  absent ceilings "flopscope ceilings is not in this build"
fi

# ---- 6. an unmodified PyTorch training step --------------------------------------
# Timing and counters in separate runs: counter replay perturbs the timings.
if has profile; then
  step profile-torch 120 "$fs" profile --out "$out/profile.json" -- \
    python3 "$ROOT/scripts/torch_step.py"
  # Its results and raw counters go into counters.tar (8 files at most in DIR).
  pcounters=(); "$fs" profile --help 2>&1 | grep -q -- --counters && pcounters=(--counters "$cstage/profile_flops.fscounters")
  NOTE="outputs and torch_flops.json in counters.tar" \
  step profile-torch-flops 150 "$fs" profile --set flops --tensor bf16 --out "$cstage/profile_flops.json" "${pcounters[@]}" -- \
    python3 "$ROOT/scripts/torch_step.py" --flops-out "$cstage/torch_flops.json"
  # PyTorch's count per NVTX range beside the hardware FLOPs of the same ranges (table in run.log).
  if has crosscheck && [ -s "$cstage/profile_flops.json" ] && [ -s "$cstage/torch_flops.json" ]; then
    NOTE="FlopCounterMode vs hardware, per range: run.log" \
    step torch-crosscheck 20 "$fs" crosscheck "$cstage/profile_flops.json" --model-flops "$cstage/torch_flops.json"
  fi
else
  absent profile-torch "flopscope profile is not in this build"
fi

# ---- 7. sanitizers over every reference kernel at tiny sizes ----------------------
if has bench; then
  for tool in memcheck racecheck; do
    NOTE="every kernel, --shape tiny" \
    step "sanitize-$tool" 150 compute-sanitizer --tool "$tool" --error-exitcode 1 \
      "$fs" bench --kernel '^(?!gemm\.wgmma)' --shape tiny --reps 1
  done
else
  absent sanitizers "flopscope bench is not in this build"
fi

# ---- 8. cross-check against ncu on the same kernels ---------------------------------
# The same bench command under ncu and under `flopscope profile`, with the same
# metric list; `flopscope crosscheck` sets the two side by side per kernel
# (mangled names: template instances match apart) and fails on a difference.
if command -v ncu >/dev/null 2>&1 && has bench && has metrics; then
  chip=GH100
  metrics=$("$fs" metrics --chip "$chip" --set roofline --tensor bf16 --json 2>/dev/null |
            python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(d["metrics"]))' 2>/dev/null)
  twin=("$fs" bench --kernel 'gemm\.(naive\.fp32|cublas\.bf16|mma_sync\.bf16)|memory\.copy' --shape small --reps 1 --no-validate)
  if [ -n "$metrics" ]; then
    NOTE="same metrics as flopscope's $chip plan" \
    step ncu 120 ncu --clock-control none --cache-control none --csv --page raw --print-kernel-base mangled \
      --log-file "$out/ncu.csv" \
      --metrics "$metrics" "${twin[@]}"
    if has profile && has crosscheck && [ -s "$out/ncu.csv" ]; then
      NOTE="ncu_twin.json in counters.tar" \
      step ncu-twin 90 "$fs" profile --set roofline --tensor bf16 --out "$cstage/ncu_twin.json" -- "${twin[@]}"
      [ -s "$cstage/ncu_twin.json" ] && NOTE="rc=1: a counter differs from ncu's" \
        step crosscheck 20 "$fs" crosscheck "$cstage/ncu_twin.json" --ncu "$out/ncu.csv"
    fi
  else
    absent ncu "could not read the metric plan from flopscope metrics --json"
  fi
else
  absent ncu "needs ncu, flopscope bench and flopscope metrics"
fi

# Last, if time is left: the CPU tests on this machine's libraries (CI runs
# them on every commit), and the wgmma GEMM (apart, as above) under memcheck.
if [ -f "$build/CTestTestfile.cmake" ] && [ -x "$build/tests/core_test" ]; then  # not in a carried tree
  NOTE="cpu-labelled tests, on this machine's libraries" \
  step cpu-tests 90 bash -c "cd '$build' && ctest -L cpu -j8"
fi
if has bench; then
  NOTE="gemm.wgmma alone, --shape tiny" \
  step sanitize-wgmma 60 compute-sanitizer --tool memcheck --error-exitcode 1 \
    "$fs" bench --kernel 'gemm\.wgmma' --shape tiny --reps 1
fi

if [ -n "$(ls -A "$cstage" 2>/dev/null)" ]; then
  tar -cf "$out/counters.tar" -C "$cstage" . \
    && summary+=("counters.tar|ok|0|$(ls "$cstage" | tr '\n' ' ')")
fi

print_summary
