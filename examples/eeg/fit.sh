#!/usr/bin/env bash
# The EEG benchmark of Pals et al. (2024), spec section 5.3: rank 3, N = 512, clipped ReLU,
# decay 0.9, full process noise (std 0.1), full initial noise (1), diagonal observation noise
# (0.1), affine readout from z, optimal proposal, K = 10, B = 10, windows of 50 steps, 500
# windows per epoch, 1500 epochs, RAdam with lr 1e-3 -> 1e-6.
# Training data: the reference trained on the raw recording (z-scored), but only the smoothed
# one (Hann 15, z-scored: the evaluation data) is distributed. Fitting the smoothed data learns
# its damped 5-15 Hz band (the smoothing keeps 28-88% of the amplitude there) and, after the
# evaluation protocol smooths the generated data once more, gave D_H ~0.3 against the
# reference's ~0.1. So the fit trains on the recording with the smoothing undone (lrnn
# preprocess --unsmooth-hann 15: ridge deconvolution, which restores what the smoothing kept
# below ~20 Hz) and z-scored again: $OUT_DIR/train.npy. UNSMOOTH=0 trains on the file as is.
# The last 10% of the recording is held out for the validation bound (VALID_FRAC=0: none, as
# the paper, whose benchmark fits and evaluates the whole recording).
#   bash examples/eeg/fit.sh [OUT_DIR]      (EPOCHS=20 bash examples/eeg/fit.sh for a quick look)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
data=${EEG_DATA:-$root/../shared/data/eeg/EEG_data_smoothed.npy}
out=${1:-$root/out/eeg}
lrnn=${LRNN:-$root/build/lrnn}
if [ ! -f "$data" ]; then
  echo "EEG data not found at $data (set EEG_DATA); see ../shared/data/README.md" >&2
  exit 1
fi
[ -x "$lrnn" ] || bash "$root/scripts/build.sh"
mkdir -p "$out"
train=$data
if [ "${UNSMOOTH:-15}" != 0 ]; then
  train=$out/train.npy
  "$lrnn" preprocess --data "$data" --layout tx --unsmooth-hann "${UNSMOOTH:-15}" --zscore \
    --out "$train"
fi
"$lrnn" fit --data "$train" --layout tx \
  --rank 3 --units 512 --activation clipped_relu --decay 0.9 \
  --noise-z full --init-noise-z 0.1 --noise-z0 full --init-noise-z0 1 \
  --noise-x diag --init-noise-x 0.1 --readout affine --readout-from z \
  --proposal optimal --particles 10 --batch 10 --window 50 --windows-per-epoch 500 \
  --epochs "${EPOCHS:-1500}" --lr 1e-3 --lr-end 1e-6 --optimizer radam \
  --valid-frac "${VALID_FRAC:-0.1}" --eval-every 50 --checkpoint-every 50 --seed "${SEED:-1}" \
  --threads "${THREADS:-0}" ${QUIET:+--quiet} \
  --out "$out"
"$lrnn" eval --model "$out/model.h5" --data "$train" --layout tx --window 50 --particles 10 --repeats 3
