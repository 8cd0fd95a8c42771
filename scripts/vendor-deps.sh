#!/usr/bin/env bash
# Copies the build's header-only and static dependencies (nlohmann/json, CLI11,
# GoogleTest) from this machine into .deps/, relocatable, so that a machine with
# no package registry (the GPU machine) can build flopscope:
#   scripts/vendor-deps.sh            # here, after scripts/setup-deps.sh
#   cmake -S . -B build-device -DCMAKE_PREFIX_PATH=$PWD/.deps ...   # there
# scripts/device-check.sh passes .deps on when it has to build.
set -euo pipefail
case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;p}' "$0"; exit 0 ;;  # the header, however long
  *) echo "vendor-deps.sh: unknown argument '$1' (it takes none; see scripts/vendor-deps.sh --help)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
dst=.deps
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
# Made beside and swapped in whole: a copy that fails leaves the old .deps.
new=$(mktemp -d .deps.new.XXXXXX)
trap 'rm -rf "$new"' EXIT
mkdir -p "$new/include" "$new/share/cmake" "$new/lib/$multiarch/cmake"
cp -r /usr/include/nlohmann /usr/include/CLI /usr/include/gtest /usr/include/gmock "$new/include/"
cp -r /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$new/share/cmake/"
cp -r "/usr/lib/$multiarch/cmake/GTest" "$new/lib/$multiarch/cmake/"
cp /usr/lib/"$multiarch"/libgtest*.a /usr/lib/"$multiarch"/libgmock*.a "$new/lib/$multiarch/"
chmod 755 "$new"  # mktemp made it 0700
rm -rf "$dst"
mv "$new" "$dst"
echo "vendor-deps: $(du -sh "$dst" | cut -f1) in $dst"
