#!/usr/bin/env bash
# Copies the build's header-only and static dependencies (nlohmann/json, CLI11,
# GoogleTest) from this machine into .deps/, relocatable, so that a machine with
# no package registry (the GPU machine) can build flopscope:
#   scripts/vendor-deps.sh            # here, after scripts/setup-deps.sh
#   cmake -S . -B build-device -DCMAKE_PREFIX_PATH=$PWD/.deps ...   # there
# scripts/device-check.sh passes .deps on when it has to build.
set -euo pipefail
cd "$(dirname "$0")/.."
dst=.deps
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
rm -rf "$dst"
mkdir -p "$dst/include" "$dst/share/cmake" "$dst/lib/$multiarch/cmake"
cp -r /usr/include/nlohmann /usr/include/CLI /usr/include/gtest /usr/include/gmock "$dst/include/"
cp -r /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$dst/share/cmake/"
cp -r "/usr/lib/$multiarch/cmake/GTest" "$dst/lib/$multiarch/cmake/"
cp /usr/lib/"$multiarch"/libgtest*.a /usr/lib/"$multiarch"/libgmock*.a "$dst/lib/$multiarch/"
echo "vendor-deps: $(du -sh "$dst" | cut -f1) in $dst"
