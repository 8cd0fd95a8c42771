#!/usr/bin/env bash
# The run command: installs what is missing, builds Release into build/, and runs
# the default benchmark suite (GEMM ladder and baselines, attention, FFN and the
# memory-bound references: both sides of the roofline, every precision), writing
# the results (flopscope.results/1 JSON) and printing the table.
# Usage: scripts/bench.sh [--out FILE (default ./bench-results.json)] [--no-setup] [-- EXTRA 'flopscope bench' ARGS]
# Exit codes: 0 ok, 1 a kernel failed validation or a step failed, 2 bad usage,
# 3 no GPU on this machine.
set -euo pipefail
caller=$PWD  # a relative --out is the caller's, and so is the default
cd "$(dirname "$0")/.."

out="$caller/bench-results.json"
setup=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "bench.sh: --out needs a file name" >&2; exit 2; }
           out="$2"; [[ "$out" == /* ]] || out="$caller/$out"; shift 2 ;;
    --no-setup) setup=0; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,8p' scripts/bench.sh; exit 0 ;;  # from the checkout's root
    *) echo "bench.sh: unknown option '$1' (see scripts/bench.sh --help)" >&2; exit 2 ;;
  esac
done

# Fail fast, before a long build, where no GPU can be seen at all.
if ! ls /dev/nvidia[0-9]* >/dev/null 2>&1 && ! nvidia-smi -L >/dev/null 2>&1; then
  echo "bench.sh: no NVIDIA GPU on this machine (no /dev/nvidia*, nvidia-smi finds none): nothing to benchmark" >&2
  exit 3
fi

[ "$setup" = 1 ] && scripts/setup-deps.sh
export PATH="$PWD/.pytools/bin:/usr/local/cuda/bin:$PATH"
if ! command -v nvcc >/dev/null 2>&1; then
  echo "bench.sh: no CUDA toolkit (nvcc) found: install it or put it on PATH" >&2
  exit 1
fi

echo "== build (Release) into build/" >&2
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOPSCOPE_CUDA=ON >/dev/null
cmake --build build -j "$(nproc)" --target flopscope_cli

echo "== flopscope bench (default suite) -> $out" >&2
exec build/tools/flopscope bench --out "$out" ${extra[@]+"${extra[@]}"}
