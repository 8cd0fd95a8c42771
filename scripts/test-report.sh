#!/usr/bin/env bash
# After a ctest run (scripts/test.sh): lists the skipped tests by their
# reason, which ctest does not show, and with --sanitizers fails (exit 1) when any
# test's output holds a sanitizer report: ctest calls a GoogleTest test that
# printed "[  SKIPPED ]" skipped even if LeakSanitizer failed it at exit.
#   scripts/test-report.sh BUILD_DIR CTEST_STDOUT_FILE [--sanitizers]
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ] || { [ $# -eq 3 ] && [ "$3" != --sanitizers ]; }; then
  echo "usage: scripts/test-report.sh BUILD_DIR CTEST_STDOUT_FILE [--sanitizers]" >&2
  exit 2
fi
build=$1 ctest_out=$2 sanitizers=${3:-}
log="$build/Testing/Temporary/LastTest.log"
[ -f "$log" ] || { echo "test-report.sh: no $log: did ctest run in $build?" >&2; exit 2; }

# The skipped tests, from ctest's own list ("  12 - Name (Skipped)").
mapfile -t skipped < <(sed -n 's/^[[:space:]]*[0-9]\{1,\} - \(.*\) (Skipped)$/\1/p' "$ctest_out")
if [ "${#skipped[@]}" -gt 0 ]; then
  pairs=""
  for name in "${skipped[@]}"; do
    # The test's output: GoogleTest's reason is the text after "FILE:LINE:
    # Skipped" up to "[  SKIPPED ]" (a SCOPED_TRACE after it left out); a
    # script's, its "[  SKIPPED ] reason" line.
    reason=$(awk -v start="\"$name\" start time:" '
      index($0, start) == 1 { inside = 1; next }
      !inside { next }
      /^<end of output>$/ { exit }
      /: Skipped$/ { grab = 1; next }
      /^Google Test trace:$/ { if (grab) exit }
      /^\[  SKIPPED \] / {
        if (grab) exit
        line = substr($0, 14)
        if (line !~ /\([0-9]+ ms\)$/ && line !~ /^[0-9]+ tests?, listed below:$/) { text = line; exit }
        next
      }
      grab && NF { text = text (text == "" ? "" : " ") $0 }
      END { print text }' "$log")
    pairs+="${reason:-(no reason printed)}"$'\t'"$name"$'\n'
  done
  # One line per reason, with the tests it skipped (the first 4 named).
  echo "Skipped tests (${#skipped[@]}), by reason:"
  printf '%s' "$pairs" | awk -F'\t' '
    !($1 in n) { order[++k] = $1 }
    { n[$1]++; if (n[$1] <= 4) names[$1] = names[$1] (n[$1] > 1 ? ", " : "") $2 }
    END {
      for (i = 1; i <= k; i++) {
        r = order[i]
        more = n[r] > 4 ? sprintf(" and %d more", n[r] - 4) : ""  # not in printf: ">" redirects there
        printf "  %d: %s\n      %s%s\n", n[r], r, names[r], more
      }
    }'
fi

if [ "$sanitizers" = --sanitizers ]; then
  reports=$(awk '
    /^[0-9]+\/[0-9]+ Testing: / { name = substr($0, index($0, ": ") + 2); inside = 0 }
    /^Output:$/ { inside = 1; next }
    /^<end of output>$/ { inside = 0 }
    inside && /ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer/ {
      if (!(name in seen)) { seen[name] = 1; print "  " name ": " $0 }
    }' "$log")
  if [ -n "$reports" ]; then
    echo "Sanitizer reports in the output of these tests (whatever ctest called them):"
    echo "$reports"
    exit 1
  fi
fi
