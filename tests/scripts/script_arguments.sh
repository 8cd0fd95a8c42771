#!/usr/bin/env bash
# The scripts that take no arguments refuse one (exit 2, one line) before doing
# anything, and print help for --help: pack-device-build.sh --help once deleted
# the carried archive and started a build, vendor-deps.sh --help replaced .deps.
# device-check.sh refuses a budget that leaves no step time (a run that did
# nothing once passed).
#   script_arguments.sh SOURCE_DIR
set -u
src=$1
fail() { echo "FAIL: $*"; exit 1; }
for s in setup-deps.sh vendor-deps.sh pack-device-build.sh; do
  out=$(bash "$src/scripts/$s" --bogus 2>&1)
  rc=$?
  [ "$rc" -eq 2 ] || fail "$s --bogus: exit $rc, expected 2: $out"
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$s --bogus: not one line: $out"
  grep -q "unknown argument '--bogus'" <<<"$out" || fail "$s --bogus does not name it: $out"
  help=$(bash "$src/scripts/$s" --help 2>&1) || fail "$s --help: exit $?"
  [ -n "$help" ] || fail "$s --help printed nothing"
done
out=$(bash "$src/scripts/device-check.sh" --budget 15 --out /nonexistent-device-out 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "device-check.sh --budget 15: exit $rc, expected 2: $out"
grep -q "give at least 60" <<<"$out" || fail "device-check.sh --budget 15 does not say the minimum: $out"
# Refused before anything is cleared or written: --only names a step exactly
# ("bench.*" once matched as a regex, then ran nothing and passed), a carried
# archive keeps its name (it unpacks to build-carry/), a --build folder exists.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect_refusal() {  # NEEDLE ARGS...
  local needle=$1; shift
  out=$(bash "$src/scripts/device-check.sh" --out "$tmp/out" "$@" 2>&1)
  rc=$?
  [ "$rc" -eq 2 ] || fail "device-check.sh $*: exit $rc, expected 2: $out"
  grep -qF -- "$needle" <<<"$out" || fail "device-check.sh $*: does not say '$needle': $out"
}
expect_refusal "--only names no step 'bench.*'" --only 'bench.*'
: >"$tmp/my carry.tgz"
expect_refusal "carry the archive as scripts/pack-device-build.sh names it" --build "$tmp/my carry.tgz"
expect_refusal "is not a folder" --build "$tmp/biuld-carry"
[ ! -e "$tmp/out" ] || fail "a refused run made its --out folder"
echo "ok"
