#!/usr/bin/env bash
# End-to-end: lrnn compare on data made by lrnn itself (oscillator teacher and a Poisson model):
# identical inputs give D_H = 0 and D_stsp = 0, different ones do not, and bad inputs fail with
# a message naming the file and the problem (and write no JSON); lrnn preprocess undoes its
# own smoothing.
# $1: lrnn binary, $2: scratch directory.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "dstsp-samples" "$lrnn" compare --help
run "$lrnn" init --preset oscillator --units 20 --out "$dir/osc.h5"
run "$lrnn" sample --model "$dir/osc.h5" --trials 2 --steps 400 --seed 1 --out "$dir/a.npy"
run "$lrnn" sample --model "$dir/osc.h5" --trials 2 --steps 400 --seed 2 --out "$dir/b.npy"

# Identical inputs: both metrics exactly 0 (table and JSON).
expect 0 "^dh  *0  " "$lrnn" compare --data "$dir/a.npy" --generated "$dir/a.npy" \
  --metric dstsp,dh --json "$dir/same.json"
grep -A1 '"dh"' "$dir/same.json" | grep -q '"value": 0.0' || fail "D_H of identical data is not 0"
grep -A1 '"dstsp"' "$dir/same.json" | grep -q '"value": 0.0' ||
  fail "D_stsp of identical data is not 0"
expect 0 "^dh  *0  " "$lrnn" compare --data "$dir/a.npy" --generated "$dir/a.npy" --metric dh \
  --zscore --dh-cutoff -1 --dh-sigma 5 --layout btx
# The EEG protocol smooths only the generated side, so the same file no longer gives 0.
run "$lrnn" compare --data "$dir/a.npy" --generated "$dir/a.npy" --metric dh --smooth-hann 15 \
  --zscore --dh-cutoff -1
awk '$1 == "dh" {exit !($2 > 0)}' "$dir/last.log" || fail "Hann smoothing of one side left D_H at 0"

# Two samples of the same teacher: a positive, finite D_H below its maximum of 1.
run "$lrnn" compare --data "$dir/a.npy" --generated "$dir/b.npy" --metric dh,dstsp \
  --json "$dir/ab.json"
dh=$(awk '$1 == "dh" {print $2}' "$dir/last.log")
awk -v v="$dh" 'BEGIN {exit !(v > 0 && v < 1)}' || fail "D_H of two samples is $dh"
grep -q "kernel mixtures" "$dir/last.log" || fail "20 channels should use the kernel mixtures"

# Spiking data: rates, ISIs, correlations, and bits per spike of the model's own rates.
run "$lrnn" init --rank 2 --units 30 --channels 6 --obs poisson --obs-nonlin softplus \
  --out "$dir/pois.h5"
run "$lrnn" sample --model "$dir/pois.h5" --trials 2 --steps 500 --seed 3 --out "$dir/s1.npy" \
  --rates "$dir/r1.npy"
run "$lrnn" sample --model "$dir/pois.h5" --trials 2 --steps 500 --seed 4 --out "$dir/s2.npy"
expect 0 "Pearson r over 15 pairs" "$lrnn" compare --data "$dir/s1.npy" --generated "$dir/s2.npy" \
  --metric rates,isi,corr --dt 0.01
expect 0 "^bps " "$lrnn" compare --data "$dir/s1.npy" --generated "$dir/r1.npy" --metric bps

# lrnn preprocess: undoing a smoothing restores what the smoothing kept (the white noise it
# erased stays erased), so smoothing the result again must give the smoothed data back:
# D_H 3e-5 and D_stsp 4e-6 measured, asserted below 1e-3 (unit test: test_eval_spectrum).
# Bad inputs write nothing.
run "$lrnn" preprocess --data "$dir/a.npy" --smooth-hann 15 --out "$dir/a_smooth.npy"
run "$lrnn" preprocess --data "$dir/a_smooth.npy" --unsmooth-hann 15 --zscore \
  --out "$dir/a_back.npy"
grep -q "undid a Hann smoothing of width 15" "$dir/last.log" || fail "preprocess did not report"
run "$lrnn" compare --data "$dir/a_smooth.npy" --generated "$dir/a_back.npy" --metric dh,dstsp \
  --smooth-hann 15 --zscore
awk '$1 == "dh" || $1 == "dstsp" {if (!($2 < 1e-3)) bad = 1} END {exit bad}' "$dir/last.log" ||
  fail "smoothing the unsmoothed data did not give the smoothed data back"
expect 1 "must be odd" "$lrnn" preprocess --data "$dir/a.npy" --unsmooth-hann 4 \
  --out "$dir/bad.npy"
expect 1 "ridge must be > 0" "$lrnn" preprocess --data "$dir/a.npy" --unsmooth-hann 15 \
  --ridge 0 --out "$dir/bad.npy"
printf 'not an array' > "$dir/garbage.npy"
expect 1 "garbage.npy" "$lrnn" preprocess --data "$dir/garbage.npy" --zscore --out "$dir/bad.npy"
[ -e "$dir/bad.npy" ] && fail "a failed preprocess left an output file"

# Bad inputs: exit 1 and a message naming the file; usage errors exit 2; no JSON left behind.
printf 'not an array' > "$dir/garbage.npy"
expect 1 "garbage.npy" "$lrnn" compare --data "$dir/garbage.npy" --generated "$dir/a.npy" \
  --json "$dir/bad.json"
expect 1 "has 20 channels but .*s1.npy has 6" "$lrnn" compare --data "$dir/a.npy" \
  --generated "$dir/s1.npy" --json "$dir/bad.json"
run "$lrnn" sample --model "$dir/osc.h5" --trials 2 --steps 300 --out "$dir/short.npy"
expect 1 "need the same number of steps" "$lrnn" compare --data "$dir/a.npy" \
  --generated "$dir/short.npy" --metric dh --json "$dir/bad.json"
expect 1 "no_such.npy" "$lrnn" compare --data "$dir/no_such.npy" --generated "$dir/a.npy"
expect 2 "unknown metric 'kl'" "$lrnn" compare --data "$dir/a.npy" --generated "$dir/a.npy" \
  --metric dh,kl
expect 2 "missing required option --generated" "$lrnn" compare --data "$dir/a.npy"
expect 2 "kernel std must be > 0" "$lrnn" compare --data "$dir/a.npy" --generated "$dir/a.npy" \
  --dstsp-std 0
[ -e "$dir/bad.json" ] && fail "a failed compare left a JSON file"
ls "$dir" | grep -q '\.tmp\.' && fail "temporary files left behind"
echo "all compare checks passed"
