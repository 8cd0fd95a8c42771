#!/usr/bin/env bash
# scripts/record-device-results.sh on a device-check output folder made here:
# the files are copied unchanged beside a PROVENANCE.md that quotes probe.txt
# (and says what it lacks), the command, each file's SHA-256 and run.log's
# summary (or that it has none); the report is made from the copies; the small
# counter files and the ncu export become CI fixtures when the device's checks of
# them passed, never overwriting one; a second filing to the same
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
printf 'fixture-test covers: gemm_naive big profile_flops zz_cut linked \n=== fixture-test: ok (2 s)\n=== crosscheck: ok (3 s)\nstep                   status             s  note\nprobe                  ok                 1  probe.txt\nbench                  ok                40  \n' \
  >"$fetched/run.log"
cp "$src/tests/fixtures/handmade-h200.json" "$fetched/bench.json"
# counters.tgz as device-check packs it: small fixture pairs, one too large, the
# default suite's file (no results beside it) and the ncu twin; ncu.csv beside.
packed=$tmp/packed
mkdir -p "$packed"
echo small >"$packed/gemm_naive.fscounters"; echo '{}' >"$packed/gemm_naive.json"
head -c $((13 << 19)) /dev/zero >"$packed/big.fscounters"; echo '{}' >"$packed/big.json"
echo suite >"$packed/bench_suite.fscounters"; echo '{}' >"$packed/ncu_twin.json"
echo profile >"$packed/profile_flops.fscounters"; printf '{"runs": [{"family": "app"}]}\n' >"$packed/profile_flops.json"
# A pair a later step added (user replay): the fixture-test step never checked it.
echo replay >"$packed/replay_user.fscounters"; echo '{}' >"$packed/replay_user.json"
# A symbolic link in the archive, to a file of this machine: never followed.
ln -s /etc/hostname "$packed/linked.fscounters"; echo '{}' >"$packed/linked.json"
tar -czf "$fetched/counters.tgz" -C "$packed" .
echo '"ID","Kernel Name"' >"$fetched/ncu.csv"
fixtures=$tmp/fixtures

dest_root=$tmp/results
run "$fetched" --dest-root "$dest_root" --fixtures-root "$fixtures" --command "bash scripts/device-check.sh --out \$OUT" ||
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
# The CI fixtures: the small pair and the ncu pair, each with where it came from.
c=$fixtures/counters/h200
cmp -s "$packed/gemm_naive.fscounters" "$c/gemm_naive.fscounters" && cmp -s "$packed/gemm_naive.json" "$c/gemm_naive.json" ||
  fail "the small counter pair was not staged unchanged"
[ ! -e "$c/big.fscounters" ] && [ ! -e "$c/bench_suite.fscounters" ] || fail "a large or unpaired counter file was staged"
grep -q "big.fscounters is over 6 MiB" "$tmp/out" || fail "the large counter file left out silently"
[ ! -e "$c/profile_flops.fscounters" ] || fail "a profile's counters (application runs) were staged"
[ ! -e "$c/replay_user.fscounters" ] || fail "a counter file the fixture-test step did not cover was staged"
[ ! -e "$c/linked.fscounters" ] || fail "a symbolic link in the archive was followed and staged"
cmp -s "$fetched/ncu.csv" "$fixtures/ncu/h200/ncu.csv" && [ -f "$fixtures/ncu/h200/ncu_twin.json" ] ||
  fail "ncu.csv and ncu_twin.json were not staged"
grep -q "$d/PROVENANCE.md" "$c/SOURCE.md" || fail "the counter fixtures do not say where they came from"
if [ -x "$build/tools/flopscope" ]; then
  [ -s "$d/report.md" ] && [ -s "$d/report.html" ] || fail "no report made from the copies"
  grep -q "report.md and report.html were made when this folder was filed, by \`flopscope " "$p" ||
    fail "PROVENANCE.md does not say which flopscope made the reports"
fi

# Filed again under another date: the fixtures staged before are kept.
echo changed >>"$c/gemm_naive.fscounters"
run "$fetched" --date 2026-12-02 --dest-root "$dest_root" --fixtures-root "$fixtures" || fail "exit $? filing again"
grep -q "exists; fixtures are never overwritten" "$tmp/err" || fail "an existing fixture was not named"
grep -q changed "$c/gemm_naive.fscounters" || fail "an existing fixture was overwritten"

# A damaged counters.tgz: nothing it lets out, cut short, becomes a fixture.
damaged=$tmp/damaged
mkdir -p "$damaged"
cp "$fetched/probe.txt" "$damaged/"
head -c 300000 /dev/urandom >"$packed/zz_cut.fscounters"; echo '{}' >"$packed/zz_cut.json"
tar -czf "$tmp/full.tgz" -C "$packed" ./gemm_naive.json ./gemm_naive.fscounters ./zz_cut.json ./zz_cut.fscounters
head -c 200000 "$tmp/full.tgz" >"$damaged/counters.tgz"
run "$damaged" --date 2026-12-03 --dest-root "$dest_root" --fixtures-root "$tmp/fixtures-damaged" || fail "exit $? filing a damaged folder"
grep -q "cannot be unpacked" "$tmp/err" || fail "a damaged counters.tgz was not named"
[ ! -e "$tmp/fixtures-damaged/counters" ] || fail "files from a damaged counters.tgz were staged"

# An ncu export whose crosscheck failed on the device is no fixture, nor are
# counter files whose fixture-test failed: CI would fail on them. A run.log
# without its summary (the run was cut short) is said to be so.
cp "$fetched/counters.tgz" "$fetched/ncu.csv" "$damaged/"
printf 'fixture-test covers: gemm_naive \n=== fixture-test: rc=1 (2 s)\n=== crosscheck: rc=1 (3 s)\n' >"$damaged/run.log"
run "$damaged" --date 2026-12-04 --dest-root "$dest_root" --fixtures-root "$tmp/fixtures-failed" || fail "exit $? filing a failed crosscheck"
grep -q "no passed crosscheck step" "$tmp/out" || fail "a failed crosscheck's export left out silently"
[ ! -e "$tmp/fixtures-failed/ncu" ] || fail "the export of a failed crosscheck was staged"
grep -q "gemm_naive.fscounters not made a fixture: run.log has no passed fixture-test step" "$tmp/out" ||
  fail "counter files of a failed fixture-test left out silently"
[ ! -e "$tmp/fixtures-failed/counters" ] || fail "the counter files of a failed fixture-test were staged"
grep -q "ends without its summary table: the run was cut short" "$dest_root/h200/2026-12-04/PROVENANCE.md" ||
  fail "a run.log cut short is not said to be so"

run "$fetched" --date 2026-12-01 --dest-root "$dest_root"
[ $? -eq 2 ] || fail "filing twice to one place was not refused with exit 2"
grep -q "never overwritten" "$tmp/err" || fail "no one-line reason for the refusal"
# The refusal suggests a -N suffix for a second run that day: it is accepted.
run "$fetched" --date 2026-12-01-2 --dest-root "$dest_root" --fixtures-root "$tmp/fixtures-second" ||
  fail "exit $? filing a second run of a day as 2026-12-01-2"
[ -f "$dest_root/h200/2026-12-01-2/PROVENANCE.md" ] || fail "the second run of a day was not filed"
# Once -2 is taken too, the refusal names the next free day suffix.
run "$fetched" --date 2026-12-01 --dest-root "$dest_root"
grep -q "2026-12-01-3 is free" "$tmp/err" || fail "the refusal does not name the next free date"
# A run killed in its probe: run.log has no step line at all; still filed.
mkdir -p "$tmp/cut"
cp "$fetched/probe.txt" "$tmp/cut/"
: >"$tmp/cut/run.log"
run "$tmp/cut" --date 2026-12-05 --dest-root "$dest_root" --fixtures-root "$tmp/fixtures-cut" ||
  fail "exit $? filing a run.log with no step line"
grep -q "(none: it has no step line)" "$dest_root/h200/2026-12-05/PROVENANCE.md" || fail "an empty run.log not said to be so"
grep -q "not given to record-device-results.sh" "$dest_root/h200/2026-12-05/PROVENANCE.md" ||
  fail "a command nobody gave is written as if copied"
# A relative DIR is the caller's, not the checkout's.
(cd "$tmp" && FLOPSCOPE="$build/tools/flopscope" bash "$src/scripts/record-device-results.sh" cut --date 2026-12-06 \
   --dest-root "$dest_root" --fixtures-root "$tmp/fixtures-rel" >"$tmp/out" 2>"$tmp/err") ||
  fail "exit $? filing a folder named relative to the caller"
[ -s "$dest_root/h200/2026-12-06/PROVENANCE.md" ] || fail "the relative DIR's folder was not filed"
# So are a relative --dest-root and --fixtures-root (they were the checkout's).
(cd "$tmp" && FLOPSCOPE="$build/tools/flopscope" bash "$src/scripts/record-device-results.sh" cut --date 2026-12-07 \
   --dest-root rel-results --fixtures-root rel-fixtures >"$tmp/out" 2>"$tmp/err") ||
  fail "exit $? filing into relative roots"
[ -s "$tmp/rel-results/h200/2026-12-07/PROVENANCE.md" ] || fail "a relative --dest-root was not the caller's"
[ ! -e "$src/rel-results" ] || fail "a relative --dest-root was filed in the checkout"
# Bad options name themselves; --help is help.
run "$fetched" --dest-root "$dest_root" --bogus x
[ $? -eq 2 ] && grep -q "unknown option '--bogus'" "$tmp/err" || fail "an unknown option was not named"
run "$fetched" --gpu
[ $? -eq 2 ] && grep -q -- "--gpu needs a value" "$tmp/err" || fail "an option without its value was not named"
# --help named by a path relative to another folder (it read "$0" after its cd).
(cd "$tmp" && bash "$(realpath --relative-to="$tmp" "$src")/scripts/record-device-results.sh" --help) |
  grep -q "Exit codes: 0 filed" || fail "--help prints no help, or not to its end"
run "$fetched" --date 12/01/2026 --dest-root "$dest_root"
[ $? -eq 2 ] || fail "a bad --date was not refused with exit 2"
mkdir -p "$tmp/empty"
run "$tmp/empty" --dest-root "$dest_root"
[ $? -eq 2 ] || fail "a folder without probe.txt was not refused with exit 2"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "more than one line for a bad folder"
# A run that found no GPU, or another GPU's, is not filed as an H200's.
mkdir -p "$tmp/nogpu"
cp "$fetched/probe.txt" "$tmp/nogpu/"
printf 'step                   status             s  note\nprobe                  ok                 1  probe.txt\ngpu                    none               0  stopping\n' >"$tmp/nogpu/run.log"
run "$tmp/nogpu" --dest-root "$tmp/nogpu-results"
[ $? -eq 2 ] && grep -q "found no GPU" "$tmp/err" || fail "a run without a GPU was filed: $(cat "$tmp/err")"
[ ! -e "$tmp/nogpu-results" ] || fail "a refused run left a folder"
run "$fetched" --gpu b200 --dest-root "$tmp/other-results"
[ $? -eq 2 ] && grep -q "names the GPU 'NVIDIA H200', not a b200" "$tmp/err" || fail "an H200 run was filed as a b200's"
# A copy that fails (a full disk, here a file size limit) leaves no folder behind
# to block filing the run again.
head -c 300000 /dev/zero >"$tmp/nogpu/bench.json"
cp "$fetched/run.log" "$tmp/nogpu/run.log"
(ulimit -f 100; FLOPSCOPE="$build/tools/flopscope" bash "$src/scripts/record-device-results.sh" "$tmp/nogpu" \
   --dest-root "$tmp/full-results" >"$tmp/out" 2>"$tmp/err") 2>/dev/null
[ $? -ne 0 ] || fail "a failed copy passed"
[ -z "$(ls -A "$tmp/full-results/h200" 2>/dev/null)" ] || fail "a failed copy left a half-filed folder: $(ls -R "$tmp/full-results")"
echo "record-device-results: filed with provenance, report made, fixtures staged, bad input refused"
