#!/usr/bin/env bash
# Files what one scripts/device-check.sh run on a GPU machine brought back, so
# that it can be committed as it came:
#
#   scripts/record-device-results.sh DIR [--gpu h200] [--date YYYY-MM-DD[-N] (default: the run's, from probe.txt)]
#                                        [--command "the run call's command"] [--dest-root bench/results]
#                                        [--fixtures-root tests/fixtures]
#
# DIR is the folder the device tool fetched (device-check's $OUT). The files
# device-check writes are copied to <dest-root>/<gpu>/<date>/ unchanged, with a
# PROVENANCE.md that says where each came from: the commit, the date, the
# driver, CUDA and GPU as probe.txt recorded them (or "not in probe.txt"), the
# exact command, each file's SHA-256 and the summary table run.log ends with.
# Where this checkout has a built flopscope ($FLOPSCOPE, default
# build/tools/flopscope), report.md and report.html are made from the copies
# (no GPU needed). The CI fixtures are staged too, never overwriting one, and
# only what the device's own check of them passed: the small counter files of
# counters.tgz with the results of the same runs into <fixtures-root>/counters/<gpu>/
# (collector_test's CounterFixtures test; run.log's fixture-test step ok), and
# ncu.csv with ncu_twin.json into <fixtures-root>/ncu/<gpu>/ (crosscheck_test's
# RecordedNcuExportsAgree; its crosscheck step ok). Nothing is measured or computed here.
#
# A relative DIR, --dest-root, --fixtures-root or $FLOPSCOPE is the caller's.
#
# Exit codes: 0 filed; 2 bad input (no DIR, no probe.txt, an existing
# destination: results are never overwritten).
set -euo pipefail
caller=$PWD  # a relative DIR is the caller's
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/record-device-results.sh DIR [--gpu NAME] [--date YYYY-MM-DD[-N]] [--command CMD] [--dest-root DIR] [--fixtures-root DIR]" >&2; }
bad() { echo "record-device-results: $*" >&2; exit 2; }

[ $# -ge 1 ] || { usage; exit 2; }
case "$1" in
  -h|--help) sed -n '2,/^set /{/^#/p}' scripts/record-device-results.sh; exit 0 ;;  # from the checkout's root
  -*) bad "the first argument is the fetched folder, not the option '$1' (see --help)" ;;
esac
src=$1; shift
[[ "$src" == /* ]] || src="$caller/$src"
gpu=h200
date=""  # default: the day probe.txt says the run started
command=""  # default: said to be device-check's usual call, not copied from anywhere
dest_root=bench/results
fixtures_root=tests/fixtures
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu|--date|--command|--dest-root|--fixtures-root) [ $# -ge 2 ] || bad "$1 needs a value" ;;
    *) bad "unknown option '$1' (see --help)" ;;
  esac
  case "$1" in
    --gpu) gpu=$2 ;;
    --date) date=$2 ;;
    --command) command=$2 ;;
    # Relative to the caller, as DIR is.
    --dest-root) dest_root=$2; [[ "$dest_root" == /* ]] || dest_root="$caller/$dest_root" ;;
    --fixtures-root) fixtures_root=$2; [[ "$fixtures_root" == /* ]] || fixtures_root="$caller/$fixtures_root" ;;
  esac
  shift 2
done
[[ "$gpu" =~ ^[a-z0-9_-]+$ ]] || bad "--gpu '$gpu': use lower-case letters, digits, - and _ (h200)"
[ -d "$src" ] || bad "$src is not a folder: give the folder the device tool fetched (files_at)"
[ -s "$src/probe.txt" ] || bad "$src has no probe.txt: not a device-check output folder"
# A run that found no GPU has nothing to file (it would take the day's folder).
if [ -f "$src/run.log" ] && grep -Eq '^gpu +none ' "$src/run.log"; then
  bad "$src is a run that found no GPU (run.log: gpu none): nothing to file"
fi
# The GPU the probe saw must be the one it is filed under.
probe_gpu=$(grep -A1 -m1 -E '^name, driver_version' "$src/probe.txt" | tail -n +2 | cut -d, -f1 || true)
if [ -n "$probe_gpu" ] && [[ "${probe_gpu,,}" != *"${gpu%%-*}"* ]]; then
  bad "probe.txt names the GPU '$probe_gpu', not a $gpu: give --gpu with its key (flopscope specs lists them)"
fi
[ -n "$date" ] || date=$(sed -n 's/^date: \([0-9-]\{10\}\).*/\1/p' "$src/probe.txt" | head -n1)
[ -n "$date" ] || date=$(date -u +%Y-%m-%d)
# YYYY-MM-DD, with -N for a later run of the same day (the refusal below suggests it).
[[ "$date" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}(-[0-9]+)?$ ]] || bad "--date '$date': use YYYY-MM-DD, or YYYY-MM-DD-N for another run that day"
dest="$dest_root/$gpu/$date"
if [ -e "$dest" ] && [ -n "$(ls -A "$dest" 2>/dev/null)" ]; then
  day=${date:0:10} n=2
  while [ -e "$dest_root/$gpu/$day-$n" ]; do n=$((n + 1)); done
  bad "$dest already holds results; recorded results are never overwritten (give another --date: $day-$n is free)"
fi

# The files device-check writes (at most 8), copied unchanged.
known=(probe.txt run.log bench.json bench_large.json ceilings.json profile.json counters.tgz ncu.csv)
# Filed whole or not at all: a copy that fails (a full disk) removes the folder,
# which would otherwise hold a truncated file and block filing the run again.
unpacked=""
unfinished=""
cleanup() {
  [ -z "$unpacked" ] || rm -rf -- "$unpacked"
  [ -z "$unfinished" ] || rm -rf -- "$unfinished"
}
trap cleanup EXIT
mkdir -p "$dest"
unfinished=$dest
copied=()
for f in "${known[@]}"; do
  if [ -f "$src/$f" ]; then cp "$src/$f" "$dest/$f"; copied+=("$f"); fi
done

# A value probe.txt recorded, or what to say when it did not.
probe_line() { grep -m1 -E "$1" "$dest/probe.txt" | sed -E "s/$1//" || true; }
or_missing() { [ -n "$1" ] && echo "$1" || echo "not in probe.txt"; }
commit=$(or_missing "$(probe_line '^commit: ')")
when=$(or_missing "$(probe_line '^date: ')")
glibc=$(or_missing "$(probe_line '^glibc: ')")
gpu_csv=$(grep -A1 -m1 -E '^name, driver_version' "$dest/probe.txt" | tail -n +2 || true)
smi=$(grep -m1 -E 'Driver Version' "$dest/probe.txt" | sed -E 's/^[ |]*//; s/[ |]*$//' || true)
prebuilt=$(grep -m1 -E '^flopscope [0-9]' "$dest/probe.txt" || true)

{
  echo "# Provenance: $gpu, $date"
  echo
  echo "Recorded by \`scripts/record-device-results.sh\` from the folder one \`device\` tool run brought back."
  echo "Every value below is copied from that folder; where probe.txt lacks one, it says so."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| commit (probe.txt) | \`$commit\` |"
  echo "| flopscope that ran (probe.txt) | \`$(or_missing "$prebuilt")\` |"
  echo "| run started (UTC) | $when |"
  echo "| GPU, driver (nvidia-smi --query-gpu) | \`$(or_missing "$gpu_csv")\` |"
  echo "| driver and CUDA (nvidia-smi) | \`$(or_missing "$smi")\` |"
  echo "| glibc | $glibc |"
  echo
  if [ -n "$command" ]; then
    echo "Command (the \`run\` call):"
    echo
    echo '```sh'
    echo "$command"
    echo '```'
  else
    echo "Command: not given to record-device-results.sh (--command); device-check's usual call is"
    echo "\`bash scripts/device-check.sh --build build-carry.tgz --out \$OUT --quick --budget 500\`, which this run may not have been."
  fi
  echo
  echo "## Files"
  echo
  echo "| file | SHA-256 |"
  echo "|---|---|"
  for f in "${copied[@]}"; do echo "| $f | \`$(sha256sum "$dest/$f" | cut -d' ' -f1)\` |"; done
  for f in "${known[@]}"; do
    [[ " ${copied[*]} " == *" $f "* ]] || echo "| $f | not brought back |"
  done
  if [ -f "$dest/run.log" ] && grep -Eq '^step +status +s +note' "$dest/run.log"; then
    echo
    echo "## device-check's summary (the end of run.log)"
    echo
    echo '```'
    awk '/^step +status +s +note/ {buf=""} {buf=buf $0 "\n"} END {printf "%s", buf}' "$dest/run.log" |
      sed -n '/^step  *status/,$p'
    echo '```'
  elif [ -f "$dest/run.log" ]; then
    echo
    echo "## device-check's summary"
    echo
    echo "run.log ends without its summary table: the run was cut short (the call's time limit, or a kill)."
    echo "Its last step lines:"
    echo
    echo '```'
    grep -E '^=== ' "$dest/run.log" | tail -n 5 || echo "(none: it has no step line)"
    echo '```'
  fi
} >"$dest/PROVENANCE.md"
unfinished=""  # filed: the reports and fixtures below only add to it

# The reports, made from the copies, where this checkout has a built flopscope.
fs=${FLOPSCOPE:-build/tools/flopscope}
[ -z "${FLOPSCOPE:-}" ] || [[ "$fs" == /* ]] || fs="$caller/$fs"  # a path given is the caller's
results=()
for f in bench.json bench_large.json profile.json; do [ -f "$dest/$f" ] && results+=("$dest/$f"); done
if [ -x "$fs" ] && [ ${#results[@]} -gt 0 ]; then
  peaks=(); [ -f "$dest/ceilings.json" ] && peaks=(--peaks "$dest/ceilings.json")
  if "$fs" report "${results[@]}" "${peaks[@]}" --md "$dest/report.md" --html "$dest/report.html" >/dev/null; then
    echo "record-device-results: report.md and report.html made from ${results[*]##*/}"
    # Later versions render the same files differently: say which made these.
    {
      echo
      echo "## Reports"
      echo
      echo "report.md and report.html were made when this folder was filed, by \`$("$fs" --version)\`:"
      echo "\`flopscope report ${results[*]##*/}${peaks[*]:+ --peaks ceilings.json} --md report.md --html report.html\`."
      echo "A later flopscope may render the same results differently; rerun that command to see how."
    } >>"$dest/PROVENANCE.md"
  else
    echo "record-device-results: flopscope report failed on these files (see above); no report made" >&2
  fi
elif [ ${#results[@]} -gt 0 ]; then
  echo "record-device-results: no report made: no flopscope at $fs (build it, or set FLOPSCOPE)"
fi
echo "record-device-results: ${#copied[@]} files filed in $dest with PROVENANCE.md"

# ---- CI fixtures, with the results of the same run beside them ---------------------
# A small bench run's counter file is 2.7 to 4 MB on an H200 (its config image and
# one counter-data image sized for 16 ranges; bench/results/h200/2026-11-30):
# 6 MiB admits those, and still keeps a PyTorch step's out of the repository.
max_fixture=$((6 << 20))
unpacked=$(mktemp -d)
if [ -f "$dest/counters.tgz" ] && ! tar -xzf "$dest/counters.tgz" -C "$unpacked" 2>/dev/null; then
  # What a damaged archive let out may be cut short: none of it becomes a fixture.
  find "$unpacked" -mindepth 1 -delete
  echo "record-device-results: counters.tgz cannot be unpacked; no counter fixtures staged" >&2
fi
# stage FOLDER FILE...: copies the files into FOLDER unless one is there already,
# and says in FOLDER/SOURCE.md where they came from.
stage() {
  local to=$1 f names=(); shift
  for f in "$@"; do
    if [ -e "$to/${f##*/}" ]; then
      echo "record-device-results: $to/${f##*/} exists; fixtures are never overwritten, left it" >&2; return 1
    fi
    names+=("${f##*/}")
  done
  mkdir -p "$to" && cp "$@" "$to/" &&
    echo "- ${names[*]}: recorded by scripts/device-check.sh; provenance in $dest/PROVENANCE.md" >>"$to/SOURCE.md"
}
# Whether run.log records device-check's step NAME as passed: a fixture becomes
# one only when the device's own check of it passed, as CI will check it again.
step_passed() { grep -q "^=== $1: ok" "$dest/run.log" 2>/dev/null; }
counters_dir="$fixtures_root/counters/$gpu"
staged=()
# The files the device's fixture-test step passed, as run.log names them:
# later steps add counter files of their own (user replay, wgmma) that no
# check of the fixtures' kind has passed.
covered=" $( { sed -n 's/^fixture-test covers: //p' "$dest/run.log" 2>/dev/null || true; } | tail -n1) "
for c in "$unpacked"/*.fscounters; do
  # Plain files only: a symbolic link in the archive (to /etc/hostname) was
  # followed, and a file of this machine staged as a fixture.
  [ -f "$c" ] && [ ! -L "$c" ] || continue
  name=$(basename "$c" .fscounters) json="${c%.fscounters}.json"
  if [[ "$covered" != *" $name "* ]]; then
    continue  # not one the fixture-test step passed (or a run.log from before it named them)
  elif [ ! -f "$json" ] || [ -L "$json" ]; then
    continue  # no results of the same run (the default suite's file): nothing to compare with
  elif grep -Eq '"family": *"app"' "$json"; then
    # A profile's runs (profile_flops): its results key application kernels by
    # device and guessed dtype, the counter file cannot, so the test could not pair them.
    echo "record-device-results: $name.json holds application runs (flopscope profile); not made a fixture"
  elif [ "$(stat -c %s "$c")" -gt "$max_fixture" ]; then
    echo "record-device-results: $name.fscounters is over 6 MiB; not made a fixture"
  elif ! step_passed fixture-test; then
    echo "record-device-results: $name.fscounters not made a fixture: run.log has no passed fixture-test step"
  elif stage "$counters_dir" "$c" "$json"; then
    staged+=("$name")
  fi
done
if [ ${#staged[@]} -gt 0 ]; then
  echo "record-device-results: counter fixtures ${staged[*]} staged in $counters_dir (docs/collector.md)"
fi
# Only an export the device's crosscheck step passed: RecordedNcuExportsAgree
# asks the same of it on every CI run.
if [ -f "$dest/ncu.csv" ] && [ ! -L "$dest/ncu.csv" ] && [ -f "$unpacked/ncu_twin.json" ] && [ ! -L "$unpacked/ncu_twin.json" ]; then
  if ! step_passed crosscheck; then
    echo "record-device-results: ncu.csv not made a fixture: run.log has no passed crosscheck step (see its crosscheck lines)"
  elif stage "$fixtures_root/ncu/$gpu" "$dest/ncu.csv" "$unpacked/ncu_twin.json"; then
    echo "record-device-results: ncu.csv and ncu_twin.json staged in $fixtures_root/ncu/$gpu (docs/crosscheck.md)"
  fi
fi
exit 0
