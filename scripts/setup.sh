#!/usr/bin/env bash
# Installs every Debian package that tern's build and tests need. Idempotent; run as root.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build ccache git python3 python3-numpy
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22 libclang-rt-22-dev
  libhalide14-0-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsentencepiece-dev sentencepiece
  fortunes fortunes-min
  nlohmann-json3-dev zlib1g-dev libzstd-dev libedit-dev libcurl4-openssl-dev libxml2-dev
  g++-aarch64-linux-gnu qemu-user
  # The AArch64 runtime built here and tested under qemu (cmake/aarch64-linux-gnu.cmake).
  zlib1g-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64
)
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
# The :arm64 packages need the architecture enabled (apt-get update below then fetches its lists).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages already installed"
  exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
