#!/usr/bin/env bash
# A complete small study on generated data: a rank-2 teacher network with a limit cycle (20
# units, observed as noisy currents) generates 200 trials; a rank-2 student is fitted by
# variational SMC on 150 of them; both are scored on the 50 held-out trials; the student
# generates new data. About two minutes on two cores.
#   bash examples/quickstart/run.sh [OUT_DIR] (EPOCHS=... to change the length of the fit)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lrnn=${LRNN:-$root/build/lrnn}
out=${1:-$root/out/quickstart}
rm -rf "$out" && mkdir -p "$out"
echo "== teacher: a rank-2 oscillator (tanh, 20 units, period ~33 steps), currents + N(0, 0.1^2)"
"$lrnn" init --preset oscillator --units 20 --out "$out/teacher.h5"
"$lrnn" sample --model "$out/teacher.h5" --trials 150 --steps 75 --burn-in 100 --seed 1 \
  --out "$out/train.npy" | sed -n 1p
"$lrnn" sample --model "$out/teacher.h5" --trials 50 --steps 75 --burn-in 100 --seed 2 \
  --out "$out/test.npy" | sed -n 1p
echo "== fitting a rank-2 student (optimal proposal, K = 64; readout fixed as in the paper)"
"$lrnn" fit --data "$out/train.npy" --rank 2 --units 20 --readout one_to_one \
  --readout-from currents --activation tanh --no-train-obs-weights --no-train-obs-bias \
  --particles 64 --batch 16 --window 0 --epochs "${EPOCHS:-300}" --optimizer adam --lr 3e-2 \
  --lr-end 1e-4 --valid-frac 0.1 --eval-every 10 --out "$out/fit"
echo "== held-out per-step bound (higher is better): teacher, then student"
"$lrnn" eval --model "$out/teacher.h5" --data "$out/test.npy" --particles 64 --repeats 3 | tail -n 1
"$lrnn" eval --model "$out/fit/model.h5" --data "$out/test.npy" --particles 64 --repeats 3 | tail -n 1
echo "== the student generates new data"
"$lrnn" sample --model "$out/fit/model.h5" --trials 4 --steps 1000 --burn-in 100 \
  --out "$out/generated.npy"
echo "== files in $out"
