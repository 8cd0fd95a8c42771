#!/usr/bin/env bash
# The build targets a GPU check runs, one per line: the flopscope CLI, the
# injection library, profile_app, collector_test (its CounterFixtures test reads
# the counters the check records) and every GPU test program in
# tests/CMakeLists.txt. scripts/pack-device-build.sh builds these to carry;
# scripts/device-check.sh builds the same when the carried ones do not run.
set -euo pipefail
cd "$(dirname "$0")/.."
printf '%s\n' flopscope_cli flopscope_inject profile_app collector_test
gpu_tests=$(sed -n 's/^ *flopscope_test(\([a-z_]*_gpu_test\) .*/\1/p' tests/CMakeLists.txt)
[ -n "$gpu_tests" ] || { echo "device-targets: found no *_gpu_test target in tests/CMakeLists.txt" >&2; exit 1; }
printf '%s\n' "$gpu_tests"
