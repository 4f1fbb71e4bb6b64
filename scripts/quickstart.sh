#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, then create a rank-3 model
# (N = 512 units, 64 channels: the EEG configuration), sample 10 000 steps from it and print
# a summary. Results go to out/quickstart/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
echo "== installing dependencies"
bash "$root/scripts/install-deps.sh"
echo "== building"
bash "$root/scripts/build.sh"
lrnn="$root/build/lrnn"
out="$root/out/quickstart"
mkdir -p "$out"
echo "== creating a model"
"$lrnn" init --rank 3 --units 512 --channels 64 --activation clipped_relu \
  --noise-z full --init-noise-z 0.1 --out "$out/model.h5"
"$lrnn" info "$out/model.h5" | head -n 20
echo "== sampling"
"$lrnn" sample --model "$out/model.h5" --trials 4 --steps 10000 --burn-in 1000 --seed 1 \
  --out "$out/generated.npy" --latents "$out/latents.npy" --rates "$out/rates.npy"
echo "== done: files in $out"
