#!/usr/bin/env bash
# scripts/device-check.sh where there is no GPU: it probes the machine, writes
# probe.txt, prints its summary table and stops with exit 3, building nothing
# and running no GPU step; temporaries of its outputs left in the output folder
# by a killed run are removed, nothing else. Skipped (visibly) where a GPU is present.
#   device_check_nogpu.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
if nvidia-smi -L >/dev/null 2>&1; then
  echo "[  SKIPPED ] a GPU is visible here; this test covers device-check's no-GPU path"
  exit 77  # ctest: skipped (SKIP_RETURN_CODE)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out/stdout"; echo "--- stderr"; cat "$out/stderr"; exit 1; }
# Temporaries of its outputs left by a killed run are removed at the start, one
# left during this run at exit (planted by a stand-in nvidia-smi, which fails as
# the real one does here); other files are kept.
mkdir -p "$out/dc" "$out/bin"
# flopscope's temporaries are .NAME.tmp.<16 hex digits> (earlier builds: .NAME.tmp.PID[.N]).
leftovers=(.bench.json.tmp.4242 .run.log.tmp.7 .ncu.csv.tmp.99 .profile.json.tmp.99.1 .bench.json.tmp.1234.0
           .bench.json.tmp.3fa9c0d2e1b4a567 .ceilings.json.tmp.0123456789abcdef)
kept=(keep.txt .bench.json.tmp.x .other.json.tmp.5 .bench.json.tmp.5.bak .bench.json.tmp.3fa9c0d2e1b4a56
      .other.json.tmp.3fa9c0d2e1b4a567)
for f in "${leftovers[@]}" "${kept[@]}"; do echo x >"$out/dc/$f"; done
printf '#!/bin/sh\necho x >"%s/dc/.profile.json.tmp.31337"\ntouch "%s/stand-in-ran"\nexit 1\n' "$out" "$out" \
  >"$out/bin/nvidia-smi"
chmod +x "$out/bin/nvidia-smi"
PATH="$out/bin:$PATH" bash "$src/scripts/device-check.sh" --out "$out/dc" --build "$build" >"$out/stdout" 2>"$out/stderr"
rc=$?
[ -e "$out/stand-in-ran" ] || fail "the stand-in nvidia-smi never ran: the removal at exit was not tested"
for f in "${leftovers[@]}" .profile.json.tmp.31337; do
  [ ! -e "$out/dc/$f" ] || fail "leftover temporary $f not removed"
done
for f in "${kept[@]}"; do [ -e "$out/dc/$f" ] || fail "$f removed: not one of its temporaries"; done
[ "$rc" -eq 3 ] || fail "exit $rc, expected 3 (no GPU)"
grep -q "no GPU visible" "$out/stderr" || fail "no one-line reason on stderr"
for key in "date:" "commit:" "glibc:" "libcupti.so:" "RmProfilingAdminOnly" "ncu:" "compute-sanitizer:"; do
  grep -q "$key" "$out/dc/probe.txt" || fail "probe.txt lacks '$key'"
done
grep -Eq "^probe +ok" "$out/stdout" || fail "no summary row for the probe"
grep -Eq "^gpu +none" "$out/stdout" || fail "no summary row saying there is no GPU"
n=$(ls "$out/dc" | wc -l)
[ "$n" -le 8 ] || fail "$n files in the output directory, at most 8 allowed"
grep -q "=== build" "$out/dc/run.log" && fail "it built without a GPU"
# Bad options stop before the probe, exit 2: a misspelt --only step ran nothing
# and exited 0, which would waste a lease.
# So are names no step runs under (an absent tool's row, the build) and an
# --out or --build that cannot be used, which spent a run's steps for nothing.
: >"$out/a-file"
for bad in "--only ncu_tune" "--only gpu-tests,bogus" "--budget abc" "--out" "--only sanitizers" "--only build" \
           "--out $out/a-file/dc" "--out $out/dc3 --build $out/missing-carry.tgz" "--only ,"; do
  # shellcheck disable=SC2086  # split on purpose: option and value
  bash "$src/scripts/device-check.sh" $bad >"$out/stdout" 2>"$out/stderr"
  rc=$?
  [ "$rc" -eq 2 ] || fail "'$bad' exited $rc, expected 2"
  [ "$(wc -l <"$out/stderr")" -eq 1 ] || fail "'$bad' did not say why in one line"
done
# (the stand-in nvidia-smi again: on a GPU machine this must not run the steps)
PATH="$out/bin:$PATH" bash "$src/scripts/device-check.sh" --only "ncu-tune, sanitize-memcheck" --out "$out/dc2" \
  --build "$build" >"$out/stdout" 2>"$out/stderr"
[ $? -eq 3 ] || fail "--only with known steps did not get as far as the GPU check"
echo "device-check without a GPU: exit 3, probe.txt and the summary as expected"
