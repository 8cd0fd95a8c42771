#!/usr/bin/env bash
# scripts/record-device-results.sh on a device-check output folder made here:
# the files are copied unchanged beside a PROVENANCE.md that quotes probe.txt
# (and says what it lacks), the command, each file's SHA-256 and run.log's
# summary; the report is made from the copies; a second filing to the same
# place, a bad date and a folder without probe.txt are refused with exit 2.
#   record_device_results.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && cat "$tmp/err"; exit 1; }
run() { FLOPSCOPE="$build/tools/flopscope" bash "$src/scripts/record-device-results.sh" "$@" >"$tmp/out" 2>"$tmp/err"; }

fetched=$tmp/fetched
mkdir -p "$fetched"
cat >"$fetched/probe.txt" <<'P'
date: 2026-12-01T10:00:00Z
commit: 0123456789abcdef0123456789abcdef01234567
host: Linux 6.8.0 x86_64
glibc: ldd (Ubuntu GLIBC 2.39-0ubuntu8) 2.39
--- nvidia-smi
name, driver_version, pci.bus_id, memory.total [MiB], clocks.max.sm [MHz], clocks.sm [MHz], power.limit [W], persistence_mode
NVIDIA H200, 580.95.05, 00000000:19:00.0, 143771 MiB, 1980 MHz, 1980 MHz, 700.00 W, Enabled
P
printf 'step                   status             s  note\nprobe                  ok                 1  probe.txt\nbench                  ok                40  \n' \
  >"$fetched/run.log"
cp "$src/tests/fixtures/handmade-h200.json" "$fetched/bench.json"

dest_root=$tmp/results
run "$fetched" --dest-root "$dest_root" --command "bash scripts/device-check.sh --out \$OUT" ||
  fail "exit $? filing a good folder"
d=$dest_root/h200/2026-12-01  # the run's date, from probe.txt
p=$d/PROVENANCE.md
[ -f "$p" ] || fail "no PROVENANCE.md"
cmp -s "$fetched/bench.json" "$d/bench.json" || fail "bench.json not copied unchanged"
grep -q '0123456789abcdef0123456789abcdef01234567' "$p" || fail "PROVENANCE.md lacks the commit"
grep -q 'NVIDIA H200, 580.95.05' "$p" || fail "PROVENANCE.md lacks the GPU and driver line"
grep -q 'GLIBC 2.39' "$p" || fail "PROVENANCE.md lacks glibc"
grep -q 'driver and CUDA (nvidia-smi) | `not in probe.txt`' "$p" || fail "a value probe.txt lacks is not said to be missing"
grep -q 'device-check.sh --out \$OUT' "$p" || fail "PROVENANCE.md lacks the command"
grep -q "$(sha256sum "$fetched/bench.json" | cut -d' ' -f1)" "$p" || fail "PROVENANCE.md lacks bench.json's SHA-256"
grep -q '| ceilings.json | not brought back |' "$p" || fail "a missing file is not named"
grep -Eq '^bench +ok +40' "$p" || fail "PROVENANCE.md lacks run.log's summary"
if [ -x "$build/tools/flopscope" ]; then
  [ -s "$d/report.md" ] && [ -s "$d/report.html" ] || fail "no report made from the copies"
fi

run "$fetched" --date 2026-12-01 --dest-root "$dest_root"
[ $? -eq 2 ] || fail "filing twice to one place was not refused with exit 2"
grep -q "never overwritten" "$tmp/err" || fail "no one-line reason for the refusal"
run "$fetched" --date 12/01/2026 --dest-root "$dest_root"
[ $? -eq 2 ] || fail "a bad --date was not refused with exit 2"
mkdir -p "$tmp/empty"
run "$tmp/empty" --dest-root "$dest_root"
[ $? -eq 2 ] || fail "a folder without probe.txt was not refused with exit 2"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "more than one line for a bad folder"
echo "record-device-results: filed with provenance, report made, bad input refused"
