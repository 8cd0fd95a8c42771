#!/usr/bin/env bash
# Everything flopscope can check on a real GPU, in one go, within a short lease.
#
#   scripts/device-check.sh [--out DIR] [--build DIR|TREE.tgz] [--quick] [--budget S] [--only LIST]
#
# --build build-carry.tgz unpacks and uses the tree scripts/pack-device-build.sh
# made here (carry it with .deps, under that name: it unpacks to build-carry/):
# no compiling on the lease when its binaries run there. A --build folder given
# that does not exist is refused (exit 2) rather than built on the lease.
#
# 1. probes the machine (driver, CUDA, glibc, CUPTI/nvperf/cuBLAS paths, counter
#    permission, ncu and compute-sanitizer versions, whether our binaries run);
# 2. stops there, with a clear line and exit 3, when no GPU is visible;
# 3. uses the prebuilt tree (--build, default build/) when its binaries run here,
#    else builds one with whatever dependencies it can find;
# 4. runs, most valuable first (a lease is one call; the budget cuts the tail):
#    the GPU tests (each program apart, with its own time limit), raw counter
#    fixtures for tests/fixtures/counters/h200/ (and the CI test that will read
#    them, over them), the same kernels under
#    `ncu --clock-control none` and under `flopscope profile` set side by side by
#    `flopscope crosscheck` (again with bench's read flush, and with ncu in
#    application replay; then bench's own counters in kernel and user replay:
#    the DRAM-write disagreement), a PyTorch training step profiled with counters beside
#    PyTorch's own FLOP count, the default benchmark suite with counters, the 8192^3
#    GEMMs, the performance targets and exact counts (bench/targets-h200.txt,
#    bench/counters-h200.txt, checked against those results), `flopscope ceilings`,
#    gemm.wgmma at 8192^3 (and with counters), the FFN on wgmma, an nvidia-smi
#    power trace of cuBLAS BF16 at 8192^3, a timing-only
#    profile of the training step,
#    compute-sanitizer memcheck and racecheck over our kernels at tiny sizes, and
#    ncu's throughput, memory and warp-stall sections on the kernels with
#    performance targets (tuning data for whoever tunes them next).
# Each step degrades gracefully: a subcommand this build lacks is reported as
# "absent", never faked. At most 8 files are written to DIR (default $OUT, else
# device-out in the checkout; a relative DIR or TREE is the caller's): probe.txt run.log bench.json bench_large.json ceilings.json
# profile.json counters.tgz ncu.csv. counters.tgz holds every raw counter file
# (.fscounters, `flopscope report F` re-evaluates one anywhere) with the results
# of the same run: the fixtures <what>.fscounters + <what>.json (docs/collector.md),
# ncu_twin.json (the profile that crosscheck sets beside ncu.csv),
# profile_flops.json + profile_flops.fscounters (the training step with counters),
# torch_flops.json (PyTorch's own count per NVTX range, set beside profile_flops.json),
# bench_suite.fscounters (the bench step, beside bench.json), bench_large_counted.json
# (the 8192^3 GEMMs again, with counters: their times beside bench_large.json's), wgmma_large.json
# (gemm.wgmma at 8192^3, run apart), ffn_wgmma.json (the FFN on wgmma beside the
# mma.sync and cuBLAS FFNs), wgmma_counted.json (gemm.wgmma, mma_sync_deep and mma_sync_tma under kernel replay),
# mma_tiles_{default,large}.json (the mma.sync tilings beside cuBLAS BF16),
# ncu_read.csv + ncu_twin_read.json and ncu_app_replay.csv + ncu_twin_app_replay.json
# (the crosschecks with the read flush), replay_{kernel,user,bytes}.{json,fscounters}
# (bench's counters in kernel and user replay), power_trace.csv + power_bench.json
# (the power trace and the bench run it sampled) and ncu_tune.csv (ncu's sections
# for the target kernels). It is rewritten after every
# step that adds to it, so a run cut short keeps what was done, and kept under
# 15 MiB (the largest raw counter files are left out, and named in run.log).
# A short table is printed last (and appended to run.log); run.log has a line per
# step as it ends; a step whose input is missing is a "not run" row. Exit status:
# 0 every step that ran passed, 1 a step failed or timed out or a GPU test
# program is missing, or the budget was spent before any step ran, 2 a bad
# option, 3 no GPU visible (the result files in DIR are cleared only past that
# check: a run without a GPU leaves a bench.json kept there).
# --budget S (default 500, at least 60) bounds the whole run: a step that no
# longer fits is reported "no time" (500 leaves a 540 s call time to pack and
# print; under 60 no step would run, and the run would pass having done nothing). --only LIST runs just those steps (comma-separated names
# from the table; a name that is no step is refused, exit 2, before anything runs).
# It never changes clocks or resets the GPU; ncu runs with --clock-control none.
set -uo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")  # --help and --only read it after the cd
caller=$PWD  # relative --out and --build are the caller's, as in bench.sh
cd "$(dirname "$0")/.."
ROOT=$PWD

out="${OUT:-$ROOT/device-out}"
build="$ROOT/build"
build_given=0
quick=0
budget=500
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out|--build|--budget|--only)
      [ $# -ge 2 ] || { echo "device-check: $1 needs a value (see scripts/device-check.sh --help)" >&2; exit 2; } ;;&
    --out) out="$2"; shift 2 ;;
    --build) build="$2"; build_given=1; shift 2 ;;
    --quick) quick=1; shift ;;
    --budget) budget="$2"; shift 2 ;;
    --only) only=",${2// /},"; shift 2 ;;  # "devices, ceilings" as "devices,ceilings"
    -h|--help) sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$self"; exit 0 ;;
    *) echo "device-check: unknown option '$1' (see scripts/device-check.sh --help)" >&2; exit 2 ;;
  esac
done
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "device-check: --budget takes whole seconds, got '$budget'" >&2; exit 2; }
budget=$((10#$budget))  # decimal: $((...)) reads a leading 0 as octal ("090" broke every step)
[ "$budget" -ge 60 ] || { echo "device-check: --budget $budget leaves no step time to run; give at least 60" >&2; exit 2; }
case "$out" in /*) ;; *) out="$caller/$out" ;; esac
case "$build" in /*) ;; *) build="$caller/$build" ;; esac
# Every name --only gives must be a step of this script: a misspelt one would
# run nothing, exit 0, and spend a lease (the names are those step, absent and
# not_run are called with, read from this file).
if [ -n "$only" ]; then
  # Only names a `step` runs under (an `absent` or `not_run` name alone, or
  # `build`, which runs only when the carried tree does not, would run nothing).
  known=$( (grep -oE '^ *(NOTE=[^ ]* +)?step [a-z][a-z0-9-]*' "$self" | awk '{print $NF}'
            echo sanitize-memcheck; echo sanitize-racecheck) | grep -vx build | sort -u)  # the last two: step "sanitize-$tool"
  IFS=, read -ra wanted <<< "${only//,/ ,}"
  named=0
  for w in "${wanted[@]}"; do
    w=${w// /}
    [ -n "$w" ] || continue
    named=1
    grep -qxF -- "$w" <<< "$known" ||
      { echo "device-check: --only names no step '$w' (steps: $(echo $known))" >&2; exit 2; }
  done
  # `--only "$STEPS"` with STEPS unset would run nothing and exit 0.
  [ "$named" = 1 ] || { echo "device-check: --only names no step (steps: $(echo $known))" >&2; exit 2; }
fi
# A carried archive that is not there is said before anything is cleared or written.
[[ "$build" != *.tgz ]] || [ -r "$build" ] ||
  { echo "device-check: cannot read --build '$build' (carry it: run scripts/pack-device-build.sh here)" >&2; exit 2; }
# It unpacks to build-carry/ whatever it is called: another name would be unpacked and then not found.
[[ "$build" != *.tgz ]] || [ "${build##*/}" = build-carry.tgz ] ||
  { echo "device-check: --build '$build': carry the archive as scripts/pack-device-build.sh names it, build-carry.tgz (it unpacks to build-carry/)" >&2; exit 2; }
# A folder named on purpose that is not there is a typo, not a reason to build on the lease.
[[ "$build" == *.tgz ]] || [ "$build_given" = 0 ] || [ -d "$build" ] ||
  { echo "device-check: --build '$build' is not a folder (give the build tree, or build-carry.tgz)" >&2; exit 2; }
mkdir -p "$out" 2>/dev/null && [ -d "$out" ] && [ -w "$out" ] ||
  { echo "device-check: cannot write to --out '$out' (make it a writable directory)" >&2; exit 2; }
# The eight files this script writes under $out.
outputs=(probe.txt run.log bench.json bench_large.json ceilings.json profile.json counters.tgz ncu.csv)
# An earlier run's outputs in a reused folder (./device-out) would be filed as
# this run's: they start afresh. Only this script's own probe and log before
# the GPU is found; the result files once a step is to run (a run without a
# GPU deleted a bench.json the user kept there).
clear_outputs() {
  local f
  for f in "$@"; do rm -f -- "${out:?}/$f"; done
}
clear_outputs probe.txt run.log
# flopscope writes its outputs (bench*.json, ceilings.json, profile.json) through
# a temporary beside each (.NAME.tmp.<16 hex digits> since 2026-12-01, then a
# rename; earlier .NAME.tmp.PID.N or .NAME.tmp.PID, as a carried older build
# writes them): a step killed mid-write leaves one behind. Temporaries named
# after any of our outputs, from an earlier run or this one, are removed at
# the start and at exit; nothing else.
names=$(IFS='|'; echo "${outputs[*]//./\\.}")
tmp_re="^\\.($names)\\.tmp\\.([0-9a-f]{16}|[0-9]+(\\.[0-9]+)?)\$"
remove_leftover_tmp() {
  local f
  for f in "$out"/.*.tmp.*; do
    [[ "${f##*/}" =~ $tmp_re ]] && [ ! -d "$f" ] && rm -f -- "$f"
  done
  return 0
}
cstage=""  # the counter files' stage, made below
on_exit() {
  [ -n "$cstage" ] && rm -rf "$cstage" "$cstage.tgz"
  remove_leftover_tmp
}
trap on_exit EXIT
remove_leftover_tmp
log="$out/run.log"
: >"$log"
# A packed tree (scripts/pack-device-build.sh: build-carry.tgz) is unpacked beside it.
if [[ "$build" == *.tgz ]]; then
  echo "=== unpack: $build" >>"$log"
  # Over an earlier unpack (a warm machine keeps ignored outputs): a test program
  # since renamed would otherwise run as one of this commit's. Only a folder
  # that is such a tree (its COMMIT file) is removed.
  [ -f "${build%.tgz}/COMMIT" ] && rm -rf -- "${build%.tgz}"
  tar -xzf "$build" -C "$(dirname "$build")" >>"$log" 2>&1 ||
    { echo "device-check: cannot unpack --build '$build' (carry it: run scripts/pack-device-build.sh here)" >&2; exit 2; }
  build="${build%.tgz}"
fi
summary=()   # "step|status|seconds|note"

# Run one step with a time limit, within what is left of the budget; its output
# goes to run.log. Steps not named by --only are skipped silently, except the
# build: it runs only when the carried tree does not, and every step needs it.
step() {
  local name="$1" limit="$2"; shift 2
  if [ -n "$only" ] && [[ "$only" != *",$name,"* ]] && [ "$name" != build ]; then NOTE=""; return 0; fi
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
absent() {
  # As not_run: only the steps asked for ("sanitizers" stands for the sanitize-* steps).
  if [ -n "$only" ] && [[ "$only" != *",$1,"* ]] && ! { [ "$1" = sanitizers ] && [[ "$only" == *",sanitize-"* ]]; }; then
    return 0
  fi
  summary+=("$1|absent|0|$2"); echo "=== $1: absent: $2" >>"$log"
}
# A step left out because what it reads is missing (an earlier step failed or ran
# out of time): named in the table, so nothing is left out silently.
not_run() {
  if [ -n "$only" ] && [[ "$only" != *",$1,"* ]]; then return 0; fi
  summary+=("$1|not run|0|$2"); echo "=== $1: not run: $2" >>"$log"
}
# step NAME LIMIT "${then_file[@]}" FILE CMD...: CMD, failing when it exits 0 but
# wrote no FILE (a profile whose application never initialised CUDA writes none,
# and exits 0).
then_file=(bash -c 'f=$1; shift; "$@" || exit; [ -s "$f" ] || { echo "no $f was written"; exit 1; }' then_file)

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
# Each outside tool the probe asks gets 20 s: a wedged driver hangs nvidia-smi,
# and the probe and GPU check run before any step's budget applies.
bounded() { timeout -k 5 20 "$@"; }
probe() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # The carried tree says what it was built from, and that is what runs. The
  # .git the device tool sends can be older than the working tree (on
  # 2026-11-30 it named the session's first commit for a tree built later), so
  # it comes second, and only without a COMMIT file.
  local commit
  commit=$(sed -n '1s/$/ (the carried tree'"'"'s COMMIT)/p' "$build/COMMIT" 2>/dev/null)
  [ -n "$commit" ] || commit=$(git -C "$ROOT" rev-parse --verify -q HEAD 2>/dev/null)
  echo "commit: ${commit:-unknown (no COMMIT in $build, no .git here; see the prebuilt flopscope --version below)}"
  echo "host: $(uname -srm)"
  echo "glibc: $(ldd --version 2>&1 | head -n1)"
  echo "--- nvidia-smi"
  if command -v nvidia-smi >/dev/null 2>&1; then
    bounded nvidia-smi --query-gpu=name,driver_version,pci.bus_id,memory.total,clocks.max.sm,clocks.sm,power.limit,persistence_mode --format=csv 2>&1
    bounded nvidia-smi 2>&1 | sed -n '1,4p'
  else
    echo "nvidia-smi: not found"
  fi
  echo "--- nvcc"; if command -v nvcc >/dev/null 2>&1; then bounded nvcc --version | tail -n2; else echo "nvcc: not found"; fi
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
    if command -v "$tool" >/dev/null 2>&1; then echo "$tool: $(command -v "$tool"): $(bounded "$tool" --version 2>&1 | tail -n1)"
    else echo "$tool: not found"; fi
  done
  echo "cmake: $(cmake --version 2>&1 | head -n1)"; echo "ninja: $(ninja --version 2>&1)"
  echo "g++: $(g++ --version 2>&1 | head -n1)"
  echo "python3: $(python3 --version 2>&1)"
  # Which libcupti `import torch` loads: the injection library binds to it in a
  # PyTorch process (docs/profile.md, PyTorch), so its version matters there.
  # A first import from a cold disk can take a while: 60 s, and a timeout is said as such.
  local torch_out torch_rc
  torch_out=$(timeout -k 5 60 python3 - 2>&1 <<'PY'
import torch
print("torch:", torch.__version__, torch.version.cuda)
maps = sorted({l.split()[-1] for l in open("/proc/self/maps") if "libcupti" in l})
print("torch's CUPTI (loaded at import):", " ".join(maps) or "none")
PY
  )
  torch_rc=$?
  if [ "$torch_rc" = 124 ] || [ "$torch_rc" = 137 ]; then echo "torch: import did not finish in 60 s"
  else grep -E '^torch' <<<"$torch_out" || echo "torch: not importable"; fi
  echo "--- prebuilt flopscope ($build)"
  if [ -x "$build/tools/flopscope" ]; then
    bounded "$build/tools/flopscope" --version 2>&1
    ldd "$build/tools/flopscope" 2>&1 | grep -E 'not found|cupti|libstdc|libc\.so'
    readelf -d "$build/tools/flopscope" 2>&1 | grep RUNPATH  # where dlopen looks for cuBLAS too
  else
    echo "no prebuilt binary at $build/tools/flopscope"
  fi
}
t0=$SECONDS
probe >"$out/probe.txt" 2>&1
summary+=("probe|ok|$((SECONDS - t0))|probe.txt")

# ---- 2. is there a GPU? -----------------------------------------------------------
if ! bounded nvidia-smi -L >/dev/null 2>&1; then
  summary+=("gpu|none|0|stopping: no GPU visible (nvidia-smi -L failed or took over 20 s)")
  echo "device-check: no GPU visible here (nvidia-smi -L failed or took over 20 s): stopping after the probe" >&2
  print_summary
  exit 3
fi
clear_outputs "${outputs[@]:2}"
# From here on a GPU test that finds no usable GPU fails instead of skipping
# (tests/gpu/require_gpu.h): nvidia-smi sees one, so a skip would hide a broken
# driver or runtime behind "ok".
export FLOPSCOPE_EXPECT_GPU=1
# Where the driver lets every user read counters, a counter test refused as
# "restricted to administrators" fails instead of skipping (require_gpu.h).
# Root alone is not enough to say so: a container's root may lack CAP_SYS_ADMIN.
grep -qsx 'RmProfilingAdminOnly: 0' /proc/driver/nvidia/params && export FLOPSCOPE_EXPECT_COUNTERS=1
# Every test of every program runs: a filter left in the environment would make
# a program run none and still exit 0.
unset GTEST_FILTER

# ---- 3. build, or use the prebuilt tree -------------------------------------------
# ctest files hold the absolute paths of the machine that configured them; make
# those paths resolve when this checkout lives elsewhere.
configured_src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null)
if [ -n "$configured_src" ] && [ "$configured_src" != "$ROOT" ] && [ ! -e "$configured_src" ]; then
  mkdir -p "$(dirname "$configured_src")" && ln -s "$ROOT" "$configured_src"
fi
fs="$build/tools/flopscope"
# The carried binaries look for CUPTI and cuBLAS where this checkout's toolkit
# keeps them (RUNPATH). Where this machine keeps them elsewhere, point the
# loader at its copies for flopscope's runs (the libraries are the same CUDA 13
# ones: PyTorch cu130 brings the same sonames), rather than compile again.
missing=$(ldd "$fs" "$build"/lib*/libflopscope_inject.so "$build"/tools/libflopscope_inject.so 2>/dev/null |
          awk '/not found/ {print $1}' | sort -u)
# cuBLAS is opened when a baseline first runs (kernels/harness/cublas_api.cpp),
# so ldd does not list it: look for the sonames the binary names where dlopen will.
runpath=$(readelf -d "$fs" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
ld_cache=$(ldconfig -p 2>/dev/null || true)
for lib in $(grep -ao 'libcublas\(Lt\)\?\.so\.[0-9]\+' "$fs" 2>/dev/null | sort -u); do
  found=""
  IFS=: read -ra search <<< "${LD_LIBRARY_PATH:-}:$runpath"
  for d in "${search[@]}"; do if [ -n "$d" ] && [ -e "$d/$lib" ]; then found=1; fi; done
  if [ -z "$found" ] && ! grep -q "[[:space:]]$lib[[:space:]]" <<< "$ld_cache"; then missing="$missing $lib"; fi
done
if [ -n "$missing" ]; then
  dirs=""
  for lib in $missing; do
    f=$(find /usr/local/cuda*/ /usr/lib /opt /usr/local/lib -name "$lib" -print -quit 2>/dev/null)
    [ -n "$f" ] && dirs="$dirs:$(dirname "$f")"
  done
  # Only with something found: an empty entry would put the current directory on the path.
  [ -n "$dirs" ] && export LD_LIBRARY_PATH="${dirs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "=== libraries: $(echo $missing) not found by RUNPATH; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}" >>"$log"
fi
if ! "$fs" --version >/dev/null 2>&1; then
  # No package registry there: the dependencies come carried in .deps/
  # (scripts/vendor-deps.sh), the CUDA toolkit from the machine. Warnings stay
  # warnings: a newer compiler there must not cost the lease (CI keeps -Werror).
  deps=""; [ -d "$ROOT/.deps" ] && deps="-DCMAKE_PREFIX_PATH=$ROOT/.deps"
  # Only what the steps run (scripts/device-targets.sh), as pack-device-build builds.
  # Paths go in as arguments, not pasted into the command: a space in one split it.
  NOTE="prebuilt tree does not run here; building" \
  step build 300 bash -c 'cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOPSCOPE_WERROR=OFF ${1:+"$1"} && cmake --build build-device -j"$2" --target $(scripts/device-targets.sh | tr "\n" " ")' _ "$deps" "$(nproc)" \
    && build="$ROOT/build-device" && fs="$build/tools/flopscope"
else
  summary+=("build|prebuilt|0|$build")
fi
has() { "$fs" "$1" --help >/dev/null 2>&1; }

# Raw counter files and their results, packed into counters.tgz after every step
# that adds to it (a run cut short keeps what was done), under 15 MiB: the
# largest raw counter files are left out first, and named in run.log.
cstage=$(mktemp -d)  # removed at exit (on_exit)
# Packing is skipped when the stage is as it was at the last pack, and a file
# once left out stays out: re-packing every file at each of a dozen calls cost
# runs 2 and 3 over a minute of their lease.
packed_stage=""
left_out=()
pack_counters() {
  [ -n "$(ls -A "$cstage" 2>/dev/null)" ] || return 0
  local f now
  now=$(cd "$cstage" && find . -type f -printf '%p %s %T@\n' | sort)
  [ "$now" != "$packed_stage" ] || return 0
  packed_stage=$now
  while :; do
    tar -czf "$cstage.tgz" -C "$cstage" --exclude-from=<(printf './%s\n' "${left_out[@]}") . 2>>"$log" || return 0
    [ "$(stat -c %s "$cstage.tgz")" -le $((15 << 20)) ] && break
    f=$(cd "$cstage" && ls -S -- *.fscounters 2>/dev/null | grep -vxF -f <(printf '%s\n' "${left_out[@]}") | head -n1)
    [ -n "$f" ] || break
    left_out+=("$f")
    echo "=== counters.tgz: over 15 MiB; left out $f" >>"$log"
  done
  # Made outside $out (a kill mid-tar leaves no 9th file there), then copied in
  # beside it and renamed: a mv across filesystems is a copy, and a kill during
  # it left a truncated counters.tgz in place of the last good one.
  local part="$out/.counters.tgz.tmp.$$"
  { cp -f "$cstage.tgz" "$part" && mv -f "$part" "$out/counters.tgz"; } || rm -f -- "$part"
}
counters_ok=0
"$fs" bench --help 2>&1 | grep -q -- --counters && counters_ok=1
# Counter images sized for one launch: a counted run of one launch then writes
# 175 to 260 KB, not the 2.7 to 4 MB of bench's default 16-launch images.
rpi=(); "$fs" bench --help 2>&1 | grep -q -- --ranges-per-image && rpi=(--ranges-per-image 1)

step devices 30 "$fs" devices

# ---- 4. GPU tests: the first live CUPTI sessions first, the wgmma kernels last ----
# The test programs themselves, not ctest: a carried tree's ctest files name
# this machine's CMake modules. Each program has its own limit, so one hang
# cannot take the others' time.
gpu_tests=() missing_tests=()
for t in session profile family_kernels gemm ceilings gemm_wgmma; do
  if [ -x "$build/tests/${t}_gpu_test" ]; then gpu_tests+=("$build/tests/${t}_gpu_test")
  else missing_tests+=("${t}_gpu_test"); fi
done
for t in "$build"/tests/*_gpu_test; do  # any program not named above
  [ -x "$t" ] && [[ " ${gpu_tests[*]} " != *" $t "* ]] && gpu_tests+=("$t")
done
# Each program must pass and must have run tests: one that ran none (compiled
# without them, say) exits 0 and would read as passed.
run_gpu_tests() {
  local rc=0 t r ran
  for t in "$@"; do
    echo "--- $t"
    # --foreground: in the step's process group, so that the step's own limit
    # kills the program too, not only this loop.
    timeout --foreground -k 5 75 "$t" --gtest_color=no 2>&1 | tee "$cstage/.gtest.out"
    r=${PIPESTATUS[0]}
    ran=$(sed -n 's/^\[==========\] \([0-9]*\) tests\{0,1\} from .* ran\..*/\1/p' "$cstage/.gtest.out")
    [ "$r" -ne 0 ] && { echo "--- $t: rc=$r"; rc=1; }
    [ "$r" -eq 0 ] && [ "${ran:-0}" -eq 0 ] && { echo "--- $t: ran no test"; rc=1; }
  done
  rm -f "$cstage/.gtest.out"
  return $rc
}
if [ "${#missing_tests[@]}" -gt 0 ] && { [ -z "$only" ] || [[ "$only" == *",gpu-tests,"* ]]; }; then
  summary+=("gpu-test programs|missing|0|${missing_tests[*]} not in $build/tests")
  echo "=== gpu-test programs: missing ${missing_tests[*]}" >>"$log"
fi
if [ "${#gpu_tests[@]}" -gt 0 ]; then
  NOTE="${#gpu_tests[@]} programs, 75 s each at most" \
  step gpu-tests $((${#gpu_tests[@]} * 80)) bash -c "cstage='$cstage'; $(declare -f run_gpu_tests); run_gpu_tests \"\$@\"" \
    gpu-tests "${gpu_tests[@]}"
  rm -f "$cstage/.gtest.out"  # left by a program the step's limit killed: not for counters.tgz
  # A skipped test is not a passed one: the table names the skipped (the
  # reasons, e.g. counters not permitted or no second GPU, are in run.log).
  skipped=$(sed -n '/^=== gpu-tests: /,/^=== gpu-tests: [a-z]/p' "$log" |
            sed -n 's/^\[  SKIPPED \] \([A-Za-z0-9_/]*\.[A-Za-z0-9_/]*\) (.*/\1/p')
  if [ -n "$skipped" ]; then
    n=$(wc -l <<<"$skipped")
    summary+=("gpu-tests skipped|$n tests|0|$(head -n 12 <<<"$skipped" | tr '\n' ' ')$([ "$n" -gt 12 ] && echo '...') (reasons in run.log)")
  fi
else
  absent gpu-tests "no tests/*_gpu_test program in $build"
fi

# ---- 5. counter fixtures: small runs whose counts are known exactly ------------------
# (2*M*N*K; 4 bytes x 2^26 per direction), kept as CI fixtures.
if has bench && [ "$counters_ok" = 1 ]; then
  fixture() {  # NAME KERNEL SHAPE SET
    "$fs" bench --kernel "$2" --shape "$3" --metrics "$4" --reps 3 "${rpi[@]}" \
      --counters "$cstage/$1.fscounters" --out "$cstage/$1.json"
  }
  NOTE="tests/fixtures/counters/h200 candidates, in counters.tgz" \
  step counter-fixtures 60 bash -c "$(declare -p rpi); $(declare -f fixture); fs='$fs'; cstage='$cstage'
    fixture gemm_naive_fp32_256x192x128 'gemm\.naive\.fp32' 256x192x128 flops &&
    fixture gemm_mma_sync_bf16_256x256x256 'gemm\.mma_sync\.bf16' 256x256x256 flops &&
    fixture copy_fp32_2p26 'memory\.copy\.fp32' n=67108864 roofline"
  pack_counters
  # The CI test that will read them as fixtures, over them now: offline
  # evaluation gives what the runs wrote (and 2*M*N*K for the naive GEMM).
  if [ -x "$build/tests/collector_test" ] && ls "$cstage"/*.fscounters >/dev/null 2>&1; then
    # The files this test passes are the only fixtures record-device-results.sh
    # stages: later steps add counter files of their own to the same stage.
    echo "fixture-test covers: $(cd "$cstage" && ls -- *.fscounters | sed 's/\.fscounters$//' | tr '\n' ' ')" >>"$log"
    NOTE="CounterFixtures test over the files just recorded" \
    step fixture-test 30 env FLOPSCOPE_COUNTER_FIXTURES="$cstage" "$build/tests/collector_test" \
      --gtest_filter='CounterFixtures.*' --gtest_color=no
  else
    not_run fixture-test "no collector_test in $build/tests, or no counter file recorded"
  fi
else
  absent counter-fixtures "needs flopscope bench --counters"
fi

# ---- 6. cross-check against ncu on the same kernels ---------------------------------
# The same bench command under ncu and under `flopscope profile`, with the same
# metric list; `flopscope crosscheck` sets the two side by side per kernel
# (mangled names: template instances match apart) and fails on a difference.
# --warmup 1 --reps 1: each kernel launched a known, small number of times, so
# ncu replays a handful of launches, not every warm-up.
# ncu as the crosscheck reads it: raw metric names in base units, mangled kernel names.
ncu_raw=(ncu --clock-control none --cache-control none --csv --page raw --print-units base
         --print-kernel-base mangled)
# ncu (with NCU-OPTIONS, words), then flopscope profile, of the twin run with
# bench's read flush, and the crosscheck of the two, into ncu_TAG.csv and
# ncu_twin_TAG.json: FS CSTAGE METRICS TAG NCU-OPTIONS TWIN-COMMAND...
read_flush_crosscheck() {
  local fs=$1 cstage=$2 metrics=$3 tag=$4 extra
  read -ra extra <<<"$5"
  shift 5
  "${ncu_raw[@]}" "${extra[@]}" --log-file "$cstage/ncu_$tag.csv" --metrics "$metrics" "$@" --l2-flush read || return
  "$fs" profile --set roofline --tensor bf16 --out "$cstage/ncu_twin_$tag.json" -- "$@" --l2-flush read || return
  "$fs" crosscheck "$cstage/ncu_twin_$tag.json" --ncu "$cstage/ncu_$tag.csv"
}
if command -v ncu >/dev/null 2>&1 && has bench && has metrics; then
  chip=GH100
  metrics=$("$fs" metrics --chip "$chip" --set roofline --tensor bf16 --json 2>/dev/null |
            python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(d["metrics"]))' 2>/dev/null)
  twin=("$fs" bench --kernel 'gemm\.(naive\.fp32|cublas\.bf16|mma_sync\.bf16)|memory\.copy' --shape small
        --warmup 1 --reps 1 --no-validate)
  if [ -n "$metrics" ]; then
    NOTE="same metrics as flopscope's $chip plan" \
    step ncu 90 "${ncu_raw[@]}" --log-file "$out/ncu.csv" --metrics "$metrics" "${twin[@]}"
    if has profile && has crosscheck && [ -s "$out/ncu.csv" ]; then
      NOTE="ncu_twin.json in counters.tgz" \
      step ncu-twin 60 "$fs" profile --set roofline --tensor bf16 --out "$cstage/ncu_twin.json" -- "${twin[@]}"
      pack_counters
      # The four kernel ids' kernels must all be compared: crosscheck passes on
      # any kernel in common, and names that failed to pair would leave fewer.
      if [ -s "$cstage/ncu_twin.json" ]; then
        NOTE="rc=1: a counter differs from ncu's, or fewer than 4 kernels compared" \
        step crosscheck 20 bash -c 'r=$("$@"); rc=$?; printf "%s\n" "$r"; [ $rc -eq 0 ] || exit $rc
          grep -Eq "^PASS: .* over ([4-9]|[1-9][0-9]+) kernel" <<<"$r" || { echo "fewer than 4 kernels compared"; exit 1; }' \
          crosscheck "$fs" crosscheck "$cstage/ncu_twin.json" --ncu "$out/ncu.csv"
      else
        not_run crosscheck "ncu-twin wrote no ncu_twin.json"
      fi
    else
      not_run ncu-twin "ncu wrote no ncu.csv (or this build lacks profile or crosscheck)"
    fi
    # Only DRAM writes disagree (docs/crosscheck.md). The same pair with bench's
    # read flush, which leaves the L2 clean (run 3: still differs, so not the
    # memset flush's dirty lines), then with ncu in application replay (run 4:
    # ncu still far below flopscope, so not ncu's replay hiding writes). Kept
    # as the baseline for bench-user-replay below. Files in counters.tgz.
    if has profile && has crosscheck && "$fs" bench --help 2>&1 | grep -q -- --l2-flush; then
      rfc=(bash -c "$(declare -p ncu_raw); $(declare -f read_flush_crosscheck); read_flush_crosscheck \"\$@\"")
      NOTE="the same with --l2-flush read; rc=1: still differs (ncu_read.csv, ncu_twin_read.json)" \
      step crosscheck-read-flush 120 "${rfc[@]}" crosscheck-read-flush "$fs" "$cstage" "$metrics" read "" "${twin[@]}"
      NOTE="ncu --replay-mode application, read flush; rc=1: still differs (ncu_app_replay.csv)" \
      step ncu-app-replay 120 "${rfc[@]}" ncu-app-replay "$fs" "$cstage" "$metrics" app_replay \
        "--replay-mode application" "${twin[@]}"
      pack_counters
    fi
  else
    absent ncu "could not read the metric plan from flopscope metrics --json"
  fi
else
  absent ncu "needs ncu, flopscope bench and flopscope metrics"
fi

# The twin's kernels under bench's own counters, three ways: CUPTI's kernel
# replay of the roofline set (several passes, memory saved and restored around
# each), bench's user replay of it (each pass a fresh run after a read flush;
# nothing saved or restored), and kernel replay of the bytes set, which fits
# one pass, so nothing is replayed or restored either. If the restores are what
# adds DRAM writes (docs/crosscheck.md), the last two columns are the lower,
# near ncu's application replay.
if has bench && "$fs" bench --help 2>&1 | grep -q -- --replay; then
  replay_pair() {  # FS CSTAGE: the three runs, their DRAM bytes side by side, then each against ncu's
    local fs=$1 cstage=$2 run csv
    for run in kernel:roofline user:roofline bytes:bytes; do
      local name=${run%%:*} set=${run#*:} mode=kernel
      [ "$name" = user ] && mode=user
      "$fs" bench --kernel 'gemm\.(naive\.fp32|cublas\.bf16|mma_sync\.bf16)|memory\.copy' --shape small \
        --warmup 1 --reps 1 --no-validate --l2-flush read --metrics "$set" --replay "$mode" \
        --out "$cstage/replay_$name.json" --counters "$cstage/replay_$name.fscounters" --ranges-per-image 2 ||
        return
    done
    python3 - "$cstage"/replay_{kernel,user,bytes}.json <<'PY'
import json, sys
runs = [{r["id"]: r.get("hw", {}) for r in json.load(open(f))["runs"]} for f in sys.argv[1:]]
cols = ("kernel", "user", "1-pass")
print("%-22s" % "run" + "".join("%15s" % ("read " + c) for c in cols) + "".join("%15s" % ("write " + c) for c in cols))
for rid in runs[0]:
    hw = [r.get(rid, {}) for r in runs]
    if any("dram_read_bytes" not in h or "dram_write_bytes" not in h for h in hw):
        sys.exit("no DRAM bytes for " + rid)
    print("%-22s" % rid + "".join("%15.0f" % h["dram_read_bytes"] for h in hw)
          + "".join("%15.0f" % h["dram_write_bytes"] for h in hw))
PY
    [ $? -eq 0 ] || return 1  # no table: a run without DRAM bytes
    # For the record, not the verdict: ncu's figures are themselves run-to-run
    # apart for small writes, which a relative tolerance reads as a difference.
    for csv in ncu_read ncu_app_replay; do
      [ -s "$cstage/$csv.csv" ] || continue
      for run in kernel user bytes; do
        echo "--- crosscheck replay_$run.fscounters --ncu $csv.csv"
        "$fs" crosscheck "$cstage/replay_$run.fscounters" --ncu "$cstage/$csv.csv" | grep -E '^[^ ]|dram__bytes'
      done
    done
    return 0
  }
  NOTE="DRAM bytes in kernel, user and one-pass replay, in run.log (replay_*.json in counters.tgz)" \
  step bench-user-replay 90 bash -c "$(declare -f replay_pair); replay_pair \"\$@\"" bench-user-replay "$fs" "$cstage"
  pack_counters
fi

# ---- 7. an unmodified PyTorch training step, with counters -------------------------
if has profile; then
  pcounters=(); "$fs" profile --help 2>&1 | grep -q -- --counters && pcounters=(--counters "$cstage/profile_flops.fscounters")
  NOTE="outputs and torch_flops.json in counters.tgz" \
  step profile-torch-flops 75 "${then_file[@]}" "$cstage/profile_flops.json" \
    "$fs" profile --set flops --tensor bf16 --out "$cstage/profile_flops.json" "${pcounters[@]}" -- \
    python3 "$ROOT/scripts/torch_step.py" --flops-out "$cstage/torch_flops.json"
  pack_counters
  # PyTorch's count per NVTX range beside the hardware FLOPs of the same ranges
  # (table in run.log), held to 2%: on 2026-11-30 every range was within 0.8%.
  if has crosscheck && [ -s "$cstage/profile_flops.json" ] && [ -s "$cstage/torch_flops.json" ]; then
    gate=(); "$fs" crosscheck --help 2>&1 | grep -q -- --flops-tolerance && gate=(--flops-tolerance 2)
    NOTE="FlopCounterMode vs hardware, per range: run.log; rc=1: a range off by over 2%, or none counted" \
    step torch-crosscheck 20 "$fs" crosscheck "$cstage/profile_flops.json" --model-flops "$cstage/torch_flops.json" \
      "${gate[@]}"
  else
    not_run torch-crosscheck "profile_flops.json or torch_flops.json missing"
  fi
else
  absent profile-torch-flops "flopscope profile is not in this build"
fi

# ---- 8. benchmarks with counters, the performance targets ---------------------------
if has bench; then
  if [ "$counters_ok" = 1 ]; then
    NOTE="counters: bench_suite.fscounters, packed into counters.tgz when it fits (run.log)" \
    step bench 180 "$fs" bench --metrics roofline --out "$out/bench.json" --counters "$cstage/bench_suite.fscounters" \
      "${rpi[@]}"
    pack_counters
  elif "$fs" bench --help 2>&1 | grep -q -- --metrics; then
    step bench 180 "$fs" bench --metrics roofline --out "$out/bench.json"
  else
    NOTE="no --metrics in this build" step bench 180 "$fs" bench --out "$out/bench.json"
  fi
  # Counters refused (exit 3 before any run): the suite again, timed only, so
  # that the performance targets are still checked.
  if [ ! -s "$out/bench.json" ] && grep -q '^=== bench: rc=3' "$log"; then
    NOTE="bench refused counters: the suite timed only" \
    step bench-timing 180 "$fs" bench --out "$out/bench.json"
  fi
  NOTE="the 8192^3 GEMM targets" \
  large='gemm\.(cublas|cublaslt|mma_sync)\.bf16|gemm\.(cublas|reg_tiled)\.fp32'
  step bench-large 75 "$fs" bench --kernel "$large" --shape large --out "$out/bench_large.json"
  # The same runs with counters: bench keeps its range profiler enabled between
  # runs (docs/collector.md), so every kernel after the first is timed with it
  # enabled, not started. Set beside bench_large.json, this says whether that
  # changes the times.
  if [ "$counters_ok" = 1 ]; then
    NOTE="timed with an idle range profiler enabled; in counters.tgz" \
    step bench-large-counted 90 "$fs" bench --kernel "$large" --shape large --metrics flops \
      --out "$cstage/bench_large_counted.json"
    pack_counters
  fi
  # The mma.sync tilings side by side at 4096^3 and 8192^3, with cuBLAS in the
  # same process: gemm.mma_sync_deep (128-byte k-tiles) and gemm.mma_sync_tma
  # (the wide block's warps on gemm.wgmma's TMA ring), both written without a
  # GPU, against the 128x128 and 128x256 blocks they follow (docs/PERFORMANCE.md).
  NOTE="mma_tiles_*.json in counters.tgz" \
  # Both shapes run whatever the first gave: bench exits 1 when a kernel fails
  # validation (it still writes its file), and the 8192^3 runs must not be lost to it.
  step mma-tiles 75 bash -c 'rc=0; for shape in default large; do
      a=(); [ "$shape" = large ] && a=(--shape large)
      "$1" bench --kernel "^gemm\.(mma_sync(_wide|_deep|_tma)?|cublas)\.bf16$" "${a[@]}" --out "$2/mma_tiles_$shape.json" || rc=$?
    done; exit $rc' mma-tiles "$fs" "$cstage"
  pack_counters
  # Each tiling against 60% of cuBLAS BF16: no GPU work, a verdict per tiling in run.log.
  if [ -s "$cstage/mma_tiles_default.json" ] && [ -s "$cstage/mma_tiles_large.json" ]; then
    NOTE="bench/mma-tiles-h200.txt; rc=1: some tiling under 60% of cuBLAS" \
    step mma-tiles-check 20 "$fs" check "$cstage/mma_tiles_default.json" "$cstage/mma_tiles_large.json" \
      --contracts bench/mma-tiles-h200.txt
  else
    not_run mma-tiles-check "mma_tiles_default.json or mma_tiles_large.json missing"
  fi
  # The performance targets against what was just measured: no GPU work, a
  # check of the two results files (PASS/FAIL per target in run.log).
  if [ -s "$out/bench.json" ] && [ -s "$out/bench_large.json" ]; then
    NOTE="bench/targets-h200.txt; rc=1: a target missed" \
    step targets 20 "$fs" check "$out/bench.json" "$out/bench_large.json" --contracts bench/targets-h200.txt
  else
    not_run targets "bench.json or bench_large.json missing"
  fi
  if [ -s "$out/bench.json" ]; then
    NOTE="bench/counters-h200.txt: exact FLOPs and bytes" \
    step counter-checks 20 "$fs" check "$out/bench.json" --contracts bench/counters-h200.txt
  else
    not_run counter-checks "bench.json missing"
  fi
else
  absent bench "flopscope bench is not in this build"
fi
if has ceilings; then
  qa=(); [ "$quick" = 1 ] && qa=(--quick)
  step ceilings 90 "$fs" ceilings "${qa[@]}" --out "$out/ceilings.json"
else
  absent ceilings "flopscope ceilings is not in this build"
fi
if has bench; then
  # gemm.wgmma in its own process, so that a hang (its 10 s mbarrier guard) or
  # a broken context cannot take the other kernels with it.
  NOTE="results in counters.tgz" \
  step wgmma-large 45 "$fs" bench --kernel 'gemm\.wgmma' --shape large --out "$cstage/wgmma_large.json"
  pack_counters
  # The FFN on wgmma (never run on a GPU before), beside the mma.sync and cuBLAS
  # FFNs of the default suite, in the same process, at the default shape.
  NOTE="fused_wgmma beside fused and cublas; in counters.tgz" \
  step ffn-wgmma 45 "$fs" bench --kernel '^ffn\.swiglu_(fused|fused_wgmma|cublas)\.bf16$' \
    --out "$cstage/ffn_wgmma.json"
  pack_counters
  # The Hopper-only GEMMs under kernel replay (bench's counters): wgmma, and
  # the mma.sync tilings written since the last lease, each against 2*M*N*K.
  if [ "$counters_ok" = 1 ]; then
    NOTE="gemm.wgmma, mma_sync_deep and mma_sync_tma with counters; in counters.tgz" \
    step wgmma-counted 60 "$fs" bench --kernel '^gemm\.(wgmma|mma_sync_deep|mma_sync_tma)\.bf16$' --metrics flops \
      --out "$cstage/wgmma_counted.json"
    pack_counters
    if [ -s "$cstage/wgmma_counted.json" ]; then
      NOTE="bench/counters-sm90-h200.txt: their tensor FLOPs" \
      step wgmma-counted-check 20 "$fs" check "$cstage/wgmma_counted.json" --contracts bench/counters-sm90-h200.txt
    else
      not_run wgmma-counted-check "wgmma_counted.json missing"
    fi
  fi
  # cuBLAS BF16 at 8192^3 as the target times it, for bench's most repetitions
  # (2000, about 5 s), with nvidia-smi sampling every 50 ms: the board's own
  # power, clocks and clock-event reasons beside bench's NVML medians
  # (power_trace.csv, power_bench.json; on 2026-11-30 the 700 W cap held it).
  NOTE="nvidia-smi every 50 ms during cuBLAS BF16 8192^3; in counters.tgz" \
  step power-trace 40 bash -c 'csv=$1; shift
    nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,power.draw.instant,enforced.power.limit,temperature.gpu,clocks_event_reasons.active \
      --format=csv -lms 50 >"$csv" & pid=$!
    "$@"; rc=$?; kill $pid; wait $pid 2>/dev/null
    echo "power-trace: $(($(wc -l <"$csv") - 1)) samples in $csv"
    # bench'"'"'s clock probe and NVML instant power beside the board'"'"'s own trace
    # (informational: the step passes on the run and the trace alone).
    python3 - "$csv" "${@: -1}" <<'"'"'PY'"'"' || true
import csv, json, statistics, sys
def num(v):
    try: return float(v.split()[0])
    except Exception: return None
rows = list(csv.reader(open(sys.argv[1])))[1:]
loaded = [r for r in rows if len(r) > 3 and (num(r[3]) or num(r[2]) or 0) > 300]
if loaded:
    print("power-trace: nvidia-smi over %d samples above 300 W: median %.0f MHz, %.1f W (instant %.1f W)" % (
        len(loaded), statistics.median(num(r[1]) or 0 for r in loaded), statistics.median(num(r[2]) or 0 for r in loaded),
        statistics.median(num(r[3]) or 0 for r in loaded)))
for r in json.load(open(sys.argv[2])).get("runs", []):
    print("power-trace: bench recorded %s MHz, %s W, limits %s, median %.4f ms over %d repetitions" % (
        r.get("sm_clock_mhz"), r.get("power_w"), r.get("clock_limits"), r["time_s"]["median"] * 1e3,
        len(r["time_s"]["samples"])))
PY
    [ $rc -eq 0 ] && [ "$(wc -l <"$csv")" -gt 20 ]' \
    power-trace "$cstage/power_trace.csv" "$fs" bench --kernel '^gemm\.cublas\.bf16$' --shape 8192x8192x8192 \
    --min-time 8 --no-validate --out "$cstage/power_bench.json"
  pack_counters
fi

# ---- 9. the training step's timing, without counter replay --------------------------
if has profile; then
  step profile-torch 50 "${then_file[@]}" "$out/profile.json" "$fs" profile --out "$out/profile.json" -- \
    python3 "$ROOT/scripts/torch_step.py"
fi

# ---- 10. sanitizers over our kernels at tiny sizes ------------------------------------
# Not cuBLAS's: slow to load under the sanitizer, and its hazards are not ours.
if ! command -v compute-sanitizer >/dev/null 2>&1; then
  absent sanitizers "compute-sanitizer is not on PATH"
elif has bench; then
  for tool in memcheck racecheck; do
    NOTE="our kernels, --shape tiny" \
    step "sanitize-$tool" 120 compute-sanitizer --tool "$tool" --error-exitcode 1 \
      "$fs" bench --kernel '^(?!.*wgmma|.*mma_sync_tma|.*cublas)' --shape tiny --reps 1 --warmup 1
  done
  NOTE="the TMA-ring kernels (wgmma gemm and ffn, mma_sync_tma) alone, --shape tiny" \
  step sanitize-wgmma 45 compute-sanitizer --tool memcheck --error-exitcode 1 \
    "$fs" bench --kernel 'wgmma|mma_sync_tma' --shape tiny --reps 1 --warmup 1
  # racecheck over them too (never run before): their stages are handed over on
  # mbarriers and written by TMA, which racecheck tracks on Hopper as far as we
  # know; a hazard reported on a TMA write is to be read before it is believed.
  NOTE="the TMA-ring kernels under racecheck (first time), --shape tiny" \
  step sanitize-wgmma-racecheck 60 compute-sanitizer --tool racecheck --error-exitcode 1 \
    "$fs" bench --kernel 'wgmma|mma_sync_tma' --shape tiny --reps 1 --warmup 1
else
  absent sanitizers "flopscope bench is not in this build"
fi

# ---- 11. tuning data: where the target kernels' time goes ---------------------------
# Each kernel with a performance target, at its default (target) shape, launched
# twice (one warm-up, one timed run) under ncu's throughput, memory, occupancy
# and warp-stall sections: the shared-memory, issue and stall figures that
# docs/kernels.md only estimates from static SASS counts; --print-details all
# adds the sections' bodies, such as the warp-stall reasons by cause, which the
# 2026-11-30 runs (headers only) lacked. The --kernel-name
# regex names the same kernels by their CUDA symbols (10 ids, 2 launches each: 20 of the 22).
# Last, so it often gets "no time" in a first call: `--only ncu-tune` then.
if command -v ncu >/dev/null 2>&1 && has bench; then
  # ncu exits 0 when its --kernel-name matched nothing: the CSV must hold rows.
  NOTE="ncu_tune.csv in counters.tgz" \
  step ncu-tune 60 bash -c '"$@" || exit; grep -q "^\"ID\"" "'"$cstage/ncu_tune.csv"'" || { echo "ncu_tune.csv holds no kernel row"; exit 1; }' \
    ncu-tune ncu --clock-control none --csv --page details --print-details all \
    --section SpeedOfLight --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
    --section LaunchStats --section Occupancy --section WarpStateStats \
    --kernel-name regex:'gemm_reg_tiled|gemm_mma_sync|flash_mma|softmax_rows|stream_kernel' --launch-count 22 \
    --log-file "$cstage/ncu_tune.csv" \
    "$fs" bench --kernel '^(gemm\.(reg_tiled\.fp32|mma_sync(_wide|_deep|_tma)?\.bf16)|attention\.flash_mma\.bf16|memory\.(copy|triad|softmax)\.(fp32|bf16))$' \
      --warmup 1 --reps 1 --no-validate
  pack_counters
else
  absent ncu-tune "needs ncu and flopscope bench"
fi

# Last, if time is left: the CPU tests on this machine's libraries (CI runs
# them on every commit); not in a carried tree.
if [ -f "$build/CTestTestfile.cmake" ] && [ -x "$build/tests/core_test" ]; then
  NOTE="cpu-labelled tests, on this machine's libraries" \
  step cpu-tests 90 bash -c 'cd "$1" && ctest -L cpu -j8' _ "$build"
fi

[ -s "$out/counters.tgz" ] && summary+=("counters.tgz|ok|0|$(tar -tzf "$out/counters.tgz" | grep -v '/$' | sed 's|^\./||' | tr '\n' ' ')")
# The steps' notes name what they put in the stage; what did not fit is said here.
[ ${#left_out[@]} -gt 0 ] && summary+=("counters.tgz|partial|0|left out, over 15 MiB in all: ${left_out[*]}")

print_summary
# Exit 1 when a step failed, timed out or its program is missing, so that a
# caller gating on the status cannot take a failed run for a passed one;
# "absent" (this build lacks it), "not run" (its input is missing: the step that
# should have made it failed, or ran out of time) and "no time" are not failures.
ran=0 starved=0
for row in "${summary[@]}"; do
  IFS='|' read -r name status _ _ <<<"$row"
  case "$status" in rc=* | timeout* | missing*) exit 1 ;; esac
  case "$name|$status" in probe\|* | build\|* | gpu\|* | counters.tgz\|*) ;; *\|ok*) ran=1 ;; *\|"no time") starved=1 ;; esac
done
# The budget spent before any step ran (a slow probe): the run did nothing, which is not a pass.
if [ "$ran" = 0 ] && [ "$starved" = 1 ]; then
  echo "device-check: no step ran: the budget of ${budget}s was spent before them (give a larger --budget)" >&2
  exit 1
fi
exit 0
