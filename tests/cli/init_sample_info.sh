#!/usr/bin/env bash
# End-to-end: lrnn init -> info -> sample, and the errors a user meets on the way.
# $1: lrnn binary, $2: scratch directory.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "lrnn 0\." "$lrnn" --version
expect 0 "sample" "$lrnn" --help
expect 2 "unknown command" "$lrnn" frobnicate
expect 0 "default: clipped_relu" "$lrnn" init --help
expect 0 "burn-in" "$lrnn" sample --help

# A Poisson model with inputs, and a Gaussian EEG-sized one.
expect 0 "wrote" "$lrnn" init --rank 2 --units 40 --channels 40 --obs poisson --readout one_to_one \
  --readout-from currents --obs-nonlin softplus --noise-z diag --inputs 1 --out "$dir/poisson.h5"
expect 0 "wrote" "$lrnn" init --rank 3 --units 512 --channels 64 --out "$dir/eeg.h5"
expect 0 "one_to_one" "$lrnn" info "$dir/poisson.h5"
expect 0 "rank 2, 30 units" "$lrnn" init --preset oscillator --units 30 --out "$dir/osc.h5"
expect 0 "tanh" "$lrnn" info "$dir/osc.h5"
expect 2 "unknown preset" "$lrnn" init --preset ring --out "$dir/ring.h5"
expect 0 "B_obs" "$lrnn" info "$dir/eeg.h5"

expect 0 "Poisson counts" "$lrnn" sample --model "$dir/poisson.h5" --trials 3 --steps 200 \
  --out "$dir/spikes.npy" --latents "$dir/z.npy" --rates "$dir/rates.h5:/rates"
# .npy of shape (3, 200, 40) float64: header (128 bytes for this shape) + 3*200*40*8 bytes.
size=$(stat -c %s "$dir/spikes.npy")
[ "$size" -eq $((128 + 3 * 200 * 40 * 8)) ] || fail "spikes.npy has $size bytes"
[ -s "$dir/z.npy" ] && [ -s "$dir/rates.h5" ] || fail "extra outputs missing"
expect 1 "CSV" "$lrnn" sample --model "$dir/poisson.h5" --trials 2 --steps 5 --out "$dir/two.csv"
expect 0 "sampled" "$lrnn" sample --model "$dir/poisson.h5" --steps 5 --out "$dir/one.csv"
[ "$(wc -l < "$dir/one.csv")" -eq 5 ] || fail "one.csv should have 5 rows"

# Same seed, same file; another seed, another file.
expect 0 "sampled" "$lrnn" sample --model "$dir/eeg.h5" --steps 500 --seed 4 --out "$dir/a.npy"
expect 0 "sampled" "$lrnn" sample --model "$dir/eeg.h5" --steps 500 --seed 4 --out "$dir/b.npy"
expect 0 "sampled" "$lrnn" sample --model "$dir/eeg.h5" --steps 500 --seed 5 --out "$dir/c.npy"
cmp -s "$dir/a.npy" "$dir/b.npy" || fail "same seed gave different files"
cmp -s "$dir/a.npy" "$dir/c.npy" && fail "different seeds gave the same file"

# Usage errors (exit 2) and data errors (exit 1, message names the file, nothing written).
expect 2 "missing required option --rank" "$lrnn" init --out "$dir/x.h5"
expect 2 "invalid value" "$lrnn" init --rank two --out "$dir/x.h5"
expect 2 "unknown activation" "$lrnn" init --rank 2 --activation sigmoid --out "$dir/x.h5"
expect 1 "channels == units" "$lrnn" init --rank 2 --units 10 --channels 5 --readout one_to_one \
  --readout-from currents --out "$dir/x.h5"
[ -e "$dir/x.h5" ] && fail "a failed init left a file"
printf 'not a model' > "$dir/garbage.h5"
expect 1 "garbage.h5" "$lrnn" info "$dir/garbage.h5"
expect 1 "garbage.h5" "$lrnn" sample --model "$dir/garbage.h5" --out "$dir/y.npy"
expect 1 "no_such_dir" "$lrnn" sample --model "$dir/eeg.h5" --steps 10 --out "$dir/no_such_dir/y.npy"
[ -e "$dir/y.npy" ] && fail "a failed sample left a file"
ls "$dir" | grep -q '\.tmp\.' && fail "temporary files left behind"

# Inputs: trials and steps come from the file; a channel mismatch is refused.
expect 0 "sampled" "$lrnn" sample --model "$dir/eeg.h5" --steps 50 --out "$dir/u3.npy"
expect 1 "input channels" "$lrnn" sample --model "$dir/poisson.h5" --inputs "$dir/u3.npy" \
  --out "$dir/y.npy"
expect 0 "wrote" "$lrnn" init --rank 1 --units 10 --channels 1 --out "$dir/one.h5"
expect 0 "sampled" "$lrnn" sample --model "$dir/one.h5" --trials 2 --steps 30 --out "$dir/u1.npy"
expect 0 "sampled 2 trial(s) x 30 steps" "$lrnn" sample --model "$dir/poisson.h5" \
  --inputs "$dir/u1.npy" --out "$dir/driven.npy"
echo "all CLI checks passed"
