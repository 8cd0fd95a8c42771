#!/usr/bin/env bash
# Builds, here, what scripts/device-check.sh runs on the GPU machine, in a tree
# small enough to carry there (the device tool carries at most 64 MiB with the
# working tree), so that the lease is not spent compiling:
#
#   scripts/pack-device-build.sh          # -> build-carry/ (Release) and build-carry.tgz
#   run: carry [build-carry.tgz, .deps], timeout_s 540, command
#        bash scripts/device-check.sh --build build-carry.tgz --out $OUT --quick --budget 500
#
# It builds only the flopscope CLI, the injection library, the GPU test programs
# (tests/*_gpu_test), profile_app and collector_test, then deletes the object files and static
# libraries, and packs the tree as build-carry.tgz (each GPU test program links
# every kernel: about 67 MiB unpacked for sm_90a alone, under a third of that packed; device-check
# unpacks it). Paths compiled into the tests are absolute (/work/main/build-carry/...);
# device-check links this checkout's old path to wherever it lands. If the
# binaries do not run there (another glibc, no CUPTI where the rpath points),
# device-check builds from source with .deps instead (scripts/vendor-deps.sh).
set -euo pipefail
case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;p}' "$0"; exit 0 ;;  # the header, however long
  *) echo "pack-device-build.sh: unknown argument '$1' (it takes none; see scripts/pack-device-build.sh --help)" >&2
     exit 2 ;;
esac
cd "$(dirname "$0")/.."
dst=build-carry
limit=$((60 << 20))  # leave room under 64 MiB for the tree and .deps
# An archive from an earlier pack must not outlive a failed one: carried, it
# would run old code with nothing to say so but its COMMIT. Nor that COMMIT a
# failed build of the tree itself (device-check --build build-carry).
rm -f "$dst.tgz" "$dst/COMMIT"

# Besides where this checkout's toolkit keeps CUPTI and cuBLAS (CMake adds that
# RUNPATH), where a standard toolkit install keeps them. device-check points the
# loader at the machine's copies if neither holds them.
rpath="/usr/local/cuda/lib64;/usr/local/cuda/targets/x86_64-linux/lib;/usr/local/cuda/extras/CUPTI/lib64"
# Only the GPU machine's own code: the H200 (sm_90) runs the sm_90a image; the
# sm_80 one the default build adds made the tree 91 MiB unpacked instead of 67
# (48 MiB carried instead of 42, at commit a96e14e). FLOPSCOPE_CARRY_ARCHS
# overrides it for another GPU (e.g. "80" for an A100).
archs=${FLOPSCOPE_CARRY_ARCHS:-90a}
cmake -S . -B "$dst" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOPSCOPE_CUDA=ON "-DCMAKE_BUILD_RPATH=$rpath" \
  "-DCMAKE_CUDA_ARCHITECTURES=$archs" >/dev/null
# The commit the tree is built from, taken before the build reads the sources:
# the GPU machine gets no .git, and device-check's probe prints this.
# Untracked files count: kernels and commands are globbed, so a new .cu or
# cmd_*.cpp not yet committed is built into the tree.
commit="$(git rev-parse HEAD)$([ -z "$(git status --porcelain)" ] || echo ' with uncommitted changes')"
targets=$(scripts/device-targets.sh)
mapfile -t targets <<<"$targets"
# device-check runs every *_gpu_test it finds: one left from an earlier build
# (a program since renamed or removed) must not travel.
rm -f "$dst"/tests/*_gpu_test
cmake --build "$dst" -j"$(nproc)" --target "${targets[@]}"
echo "$commit" >"$dst/COMMIT"

# Only what runs: no objects, archives or dependency files.
find "$dst" \( -name '*.o' -o -name '*.a' -o -name '*.d' -o -name '*.fatbin*' -o -name '*.cudafe*' \
  -o -name '*.ii' -o -name '*.ptx' -o -name '*.cubin' \) -type f -delete
rm -rf "$dst/tests/install-check"

# The newest glibc symbol version the carried binaries need: a machine with an
# older glibc cannot run them, and device-check then builds from source.
glibc=$(find "$dst" -type f -perm -u+x -exec objdump -T {} \; 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1)
echo "pack-device-build: the carried binaries need ${glibc:-an unknown glibc} or newer on the GPU machine"

tar -czf "$dst.tgz" "$dst"
carried=$(( $(du -sb "$dst.tgz" | cut -f1) + $(du -sb .deps 2>/dev/null | cut -f1 || echo 0) \
  + $( { git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null || true; } |
      awk '{s += $1} END {print s + 0}') ))
# (the device tool carries untracked files git does not ignore too; a tracked
# file deleted here is skipped, where du made the script stop with 123)
echo "pack-device-build: $dst.tgz holds ${targets[*]} ($(( $(du -sb "$dst" | cut -f1) >> 20 )) MiB unpacked); with .deps and the tree: $((carried >> 20)) MiB carried"
if [ "$carried" -gt "$limit" ]; then
  echo "pack-device-build: $((carried >> 20)) MiB is over the $((limit >> 20)) MiB the device tool can carry; carry .deps alone and let device-check build" >&2
  exit 1
fi
