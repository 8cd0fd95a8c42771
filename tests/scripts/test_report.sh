#!/usr/bin/env bash
# scripts/test-report.sh over a small ctest project: skipped tests listed by
# reason (a GoogleTest reason, a script's "[  SKIPPED ]" line), and a sanitizer
# report in a test ctest calls skipped fails --sanitizers (exit 1).
#   test_report.sh SOURCE_DIR
set -u
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- report"; cat "$work/report"; exit 1; }
cat >"$work/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(toy NONE)
enable_testing()
add_test(NAME leaky COMMAND sh -c "echo 'a.cpp:3: Skipped'; echo 'why it skipped'; echo '[  SKIPPED ] T.x (0 ms)'; echo '==1==ERROR: LeakSanitizer: detected memory leaks' >&2; exit 23")
set_tests_properties(leaky PROPERTIES SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
add_test(NAME script_skip COMMAND sh -c "echo '[  SKIPPED ] a GPU is visible here'; exit 77")
set_tests_properties(script_skip PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME passes COMMAND true)
CMAKE
cmake -S "$work" -B "$work/b" >/dev/null || fail "cmake"
(cd "$work/b" && ctest >"$work/ctest.out" 2>&1)
# Run from $work: a stray file it writes (an awk '>' read as a redirection) shows there.
(cd "$work" && "$src/scripts/test-report.sh" b ctest.out) >"$work/report" 2>&1 || fail "exit $? without --sanitizers"
grep -qx "Skipped tests (2), by reason:" "$work/report" || fail "no count of 2 skipped"
grep -qx "  1: why it skipped" "$work/report" || fail "no GoogleTest reason"
grep -qx "  1: a GPU is visible here" "$work/report" || fail "no script reason"
(cd "$work" && "$src/scripts/test-report.sh" b ctest.out --sanitizers) >"$work/report" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "--sanitizers: exit $rc, not 1"
grep -q "^  leaky: ==1==ERROR: LeakSanitizer" "$work/report" || fail "the leak is not named"
[ "$(ls "$work" | tr '\n' ' ')" = "CMakeLists.txt b ctest.out report " ] || fail "stray files: $(ls "$work")"
echo "test-report.sh: skips by reason, sanitizer report after a skip fails"
