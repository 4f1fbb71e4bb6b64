#!/usr/bin/env bash
# Install lrnn's build and test dependencies from Debian/Ubuntu packages.
# Works as root or through sudo. Pass --fuzz to also install clang's fuzzer runtime,
# --dev for the Python tools that regenerate test fixtures.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libopenblas-dev liblapacke-dev  # BLAS/LAPACK and its C interface
  libhdf5-dev                     # model files and .h5 data
  libjansson-dev                  # JSON (configs, results)
  librandom123-dev                # counter-based RNG streams
  zlib1g-dev                      # deflated .npz members
  libkissfft-dev                  # FFT of the spectral metrics (D_H)
  libcairo2-dev                   # figures (SVG and PNG)
  libdnnl-dev                     # oneDNN: packed-weight products of full-rank LINT training
  libcmocka-dev                   # unit tests
)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --dev) packages+=(python3-numpy python3-h5py) ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -eq 0 ]; then
  run() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  run() { sudo "$@"; }
else
  echo "install-deps.sh: run as root or install sudo" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps.sh: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
run apt-get update -qq
run apt-get install -y -qq --no-install-recommends "${missing[@]}"
