#!/usr/bin/env bash
# End-to-end: an oscillator teacher -> sample -> lrnn posterior (filter, smoother, paths) ->
# lrnn eval with the posterior-based and generation metrics, and the errors on the way.
# $1: lrnn binary, $2: scratch directory.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

# npy_size FILE BYTES: a float64 .npy whose header is 128 bytes (true for these shapes).
npy_size() {
  local size; size=$(stat -c %s "$1") || fail "$1 missing"
  [ "$size" -eq $((128 + $2)) ] || fail "$1 has $size bytes, expected $((128 + $2))"
}

expect 0 "K^2" "$lrnn" posterior --help
expect 0 "wrote" "$lrnn" init --preset oscillator --units 10 --out "$dir/osc.h5"
run "$lrnn" sample --model "$dir/osc.h5" --trials 3 --steps 120 --out "$dir/y.npy" --latents "$dir/z.npy"

expect 0 "latents_smooth.npy" "$lrnn" posterior --model "$dir/osc.h5" --data "$dir/y.npy" \
  --out "$dir/post" --smooth --samples 2 --particles 32 --batch 2
npy_size "$dir/post/latents_filter.npy" $((3 * 120 * 2 * 8))
npy_size "$dir/post/rates_filter.npy" $((3 * 120 * 10 * 8))
npy_size "$dir/post/latents_smooth.npy" $((3 * 120 * 2 * 8))
npy_size "$dir/post/rates_smooth.npy" $((3 * 120 * 10 * 8))
npy_size "$dir/post/samples_smooth.npy" $((3 * 2 * 120 * 2 * 8))
# the filter alone, with ancestral paths
expect 0 "samples_filter.npy" "$lrnn" posterior --model "$dir/osc.h5" --data "$dir/y.npy" \
  --out "$dir/filt" --samples 1 --particles 16
[ ! -e "$dir/filt/latents_smooth.npy" ] || fail "smoothed output without --smooth"

# bad inputs: wrong channel count, a file that is no array; nothing is written
expect 1 "2 channels but the model predicts 10" "$lrnn" posterior --model "$dir/osc.h5" \
  --data "$dir/z.npy" --out "$dir/bad"
printf 'not an array' > "$dir/junk.npy"
expect 1 "junk.npy" "$lrnn" posterior --model "$dir/osc.h5" --data "$dir/junk.npy" --out "$dir/bad"
[ ! -e "$dir/bad" ] || fail "output directory created on error"
expect 2 "required" "$lrnn" posterior --model "$dir/osc.h5" --data "$dir/y.npy"

# eval: bound, generation metrics, prediction error, with JSON
expect 0 "pe " "$lrnn" eval --model "$dir/osc.h5" --data "$dir/y.npy" --metric elbo,dstsp,dh,pe \
  --pe-steps 2 --particles 32 --burn-in 20 --json "$dir/eval.json"
for key in '"elbo"' '"dstsp"' '"dh"' '"pe"' '"generation"'; do
  grep -q "$key" "$dir/eval.json" || fail "eval.json lacks $key"
done
expect 0 "dh " "$lrnn" eval --model "$dir/osc.h5" --data "$dir/y.npy" --metric dh \
  --init prior_sample --smooth-hann 5 --zscore
expect 2 "unknown metric 'bogus'" "$lrnn" eval --model "$dir/osc.h5" --data "$dir/y.npy" \
  --metric elbo,bogus
expect 2 "--init" "$lrnn" eval --model "$dir/osc.h5" --data "$dir/y.npy" --metric dh --init nope
expect 1 "no held-out channels" "$lrnn" eval --model "$dir/osc.h5" --data "$dir/y.npy" --metric cobps
expect 1 "does not fit the model" "$lrnn" eval --model "$dir/osc.h5" --data "$dir/z.npy" --metric pe

# spikes with held-out channels: co-smoothing and forward-prediction bits per spike
run "$lrnn" init --rank 2 --units 12 --channels 12 --obs poisson --readout one_to_one \
  --readout-from currents --obs-nonlin softplus --noise-z diag --heldout-channels 3 \
  --out "$dir/pois.h5"
run "$lrnn" sample --model "$dir/pois.h5" --trials 4 --steps 80 --out "$dir/spikes.npy"
expect 0 "fpbps" "$lrnn" eval --model "$dir/pois.h5" --data "$dir/spikes.npy" \
  --metric cobps,fpbps,rates,corr --t-forward 10 --proposal bootstrap --particles 32 \
  --json "$dir/bps.json"
grep -q '"cobps"' "$dir/bps.json" || fail "bps.json lacks cobps"
expect 1 "t-forward" "$lrnn" eval --model "$dir/pois.h5" --data "$dir/spikes.npy" --metric fpbps \
  --proposal bootstrap
echo "posterior_eval: all good"
