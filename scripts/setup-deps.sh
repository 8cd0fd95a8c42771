#!/usr/bin/env bash
# Installs what flopscope needs to build and test, and nothing that is already
# there. Idempotent; runs as root or through sudo. Nothing is downloaded at build
# time: everything comes from Debian packages and PyPI here.
#
#   scripts/setup-deps.sh            build + test dependencies
#
# The CUDA toolkit (nvcc, cudart, cuBLAS, CUPTI, NVTX) is not installed here:
# it comes with the machine. Without it flopscope builds its host-only part.
set -euo pipefail
case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  *) echo "setup-deps.sh: unknown argument '$1' (it takes none; see scripts/setup-deps.sh --help)" >&2; exit 2 ;;
esac

APT_PACKAGES=(cmake ninja-build g++ libgtest-dev nlohmann-json3-dev libcli11-dev python3-pip)
# The HTML report is tested in headless Chromium; its screenshot is read with libpng.
APT_PACKAGES+=(chromium libpng-dev)
# cuobjdump/nvdisasm for the static checks of compiled kernels (HMMA present,
# no register spills): the toolkit on these machines lacks them. PyPI has no
# 13.0 build; 13.2 reads 13.0 cubins.
PIP_PACKAGES=("nvidia-cuda-cuobjdump==13.2.86" "nvidia-cuda-nvdisasm==13.2.86")
# The CUPTI that PyTorch's CUDA 13 wheels bring, for the injection library's test
# under it (tests/cli/cupti_13_2_without_driver.sh); never linked into flopscope.
PIP_PACKAGES+=("nvidia-cuda-cupti==13.2.86")

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  # Root or sudo only when something is missing: a user without either, on a
  # machine that has everything, can still build and test.
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup-deps: need root or sudo to install ${missing[*]}" >&2; exit 2; fi
  fi
  echo "setup-deps: installing ${missing[*]}"
  # env: sudo drops the caller's environment, DEBIAN_FRONTEND with it.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
    { echo "setup-deps: apt-get update failed (see above): check the network or the package sources" >&2; exit 1; }
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { echo "setup-deps: apt-get could not install ${missing[*]} (see above)" >&2; exit 1; }
fi

# Python tools live in a private prefix so they never disturb the system's.
PYTOOLS="$(cd "$(dirname "$0")/.." && pwd)/.pytools"  # where test.sh, bench.sh and CMake look
# .installed names the packages last installed there: a changed list reinstalls.
if [ "$(cat "$PYTOOLS/.installed" 2>/dev/null)" != "${PIP_PACKAGES[*]}" ] ||
   [ ! -x "$PYTOOLS/bin/cuobjdump" ] || [ ! -x "$PYTOOLS/bin/nvdisasm" ]; then
  echo "setup-deps: installing ${PIP_PACKAGES[*]} into $PYTOOLS"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --upgrade \
    --target "$PYTOOLS/site" "${PIP_PACKAGES[@]}" ||
    { echo "setup-deps: pip could not install ${PIP_PACKAGES[*]} (see above): check the network or PyPI" >&2; exit 1; }
  mkdir -p "$PYTOOLS/bin"
  for tool in cuobjdump nvdisasm; do
    found=$(find "$PYTOOLS/site" -type f -name "$tool" | head -n1)
    if [ -z "$found" ]; then echo "setup-deps: $tool not found in its wheel" >&2; exit 1; fi
    chmod +x "$found"
    ln -sf "$found" "$PYTOOLS/bin/$tool"
  done
  echo "${PIP_PACKAGES[*]}" > "$PYTOOLS/.installed"
fi
echo "setup-deps: ok"
