#!/usr/bin/env bash
# lrnn lint sweep (issue 10, spec lint_method.md 3.2-3.4, 7.2) on a tiny full-rank CDM teacher
# (N = 64, 300 trials, 2 epochs: the sweep's plumbing, not the science, which
# examples/lint/black_box.sh shows): the CSV / JSON columns and rows, the saved fits, the
# truncation at rank N reproducing a noise-free teacher, and the errors a user meets (bad
# --ranks, an unknown method, trunc of a low-rank teacher, --out on a file), with nothing
# written on error.
# $1: lrnn binary, $2: scratch dir.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "truncated SVD" "$lrnn" lint sweep --help
run "$lrnn" task train --task cdm --rank full --units 64 --trials 300 --epochs 2 --seed 2 --quiet \
  --out "$dir/full.h5"
run "$lrnn" task train --task cdm --units 32 --trials 100 --epochs 1 --quiet --out "$dir/low.h5"

run "$lrnn" lint sweep --teacher "$dir/full.h5" --ranks 1:2 --epochs 3 --quiet --out "$dir/sw" \
  --json "$dir/sw.json"
grep -q "rank  method  R2 rates" "$dir/last.log" || fail "no table on stdout: $(cat "$dir/last.log")"
head -n 1 "$dir/sw/sweep.csv" | grep -qx \
  "rank,method,r2_rates,r2_rates_median_neuron,r2_states,accuracy,task_loss,fit_seconds,onestep_r2,diverged" \
  || fail "CSV header: $(head -n 1 "$dir/sw/sweep.csv")"
rows=$(tail -n +2 "$dir/sw/sweep.csv" | wc -l)
[ "$rows" -eq 8 ] || fail "CSV has $rows rows, expected 2 ranks x 4 methods"
for r in 1 2; do
  for m in fit trunc nlr lr; do
    grep -q "^$r,$m," "$dir/sw/sweep.csv" || fail "CSV lacks rank $r, method $m"
  done
  [ -s "$dir/sw/fit_rank$r.h5" ] || fail "fit_rank$r.h5 not written"
done
# every row of fit / trunc / nlr has finite scores: accuracy in [0, 1], R2 <= 1, loss >= 0;
# only the regressions have a one-step R2 (in (0, 1]: a least-squares fit with the inputs)
awk -F, 'NR > 1 && $2 != "lr" {
  if ($6 == "nan" || $6 < 0 || $6 > 1 || $3 == "nan" || $3 > 1 || $5 > 1 || $7 < 0) bad = bad " " $0
  if (($2 == "nlr") != ($9 != "nan")) bad = bad " " $0
  if ($2 == "nlr" && !($9 > 0 && $9 <= 1)) bad = bad " " $0 }
  END { if (bad) { print bad; exit 1 } }' "$dir/sw/sweep.csv" || fail "bad CSV values"
cmp -s "$dir/sw/sweep.json" "$dir/sw.json" || fail "--json and DIR/sweep.json differ"
for key in '"teacher_accuracy"' '"student_noise"' '"r2_rates_median_neuron"' '"r2_states"' \
  '"task_loss"' '"fit_seconds"' '"onestep_r2"' '"rank_deficient"'; do
  grep -q "$key" "$dir/sw.json" || fail "JSON lacks $key"
done
[ "$(grep -c '"method"' "$dir/sw.json")" -eq 8 ] || fail "JSON results are not 8 rows"
grep -q "<svg" "$dir/sw/sweep.svg" || fail "sweep.svg is not an SVG"
# a saved fit is a LINT student of the teacher: lrnn lint eval reads it
expect 0 "R2 of rates" "$lrnn" lint eval --teacher "$dir/full.h5" --student "$dir/sw/fit_rank2.h5"

# the rank-N truncation of a noise-free teacher is the teacher itself: R2 of x is 1 up to the
# rounding of an SVD (1e-9 leaves room for 68 steps of accumulated rounding, ~1e-13 per step)
run "$lrnn" lint sweep --teacher "$dir/full.h5" --ranks 64 --methods trunc --teacher-noise 0 \
  --quiet --json "$dir/trunc.json"
r2x=$(sed -n 's/.*"r2_states": \([-0-9.e+]*\).*/\1/p' "$dir/trunc.json")
awk -v r="$r2x" 'BEGIN { exit !(r > 1 - 1e-9) }' || fail "rank-64 truncation R2 of x $r2x"
acc_t=$(sed -n 's/.*"teacher_accuracy": \([-0-9.e+]*\).*/\1/p' "$dir/trunc.json")
acc_s=$(sed -n 's/.*"accuracy": \([-0-9.e+]*\).*/\1/p' "$dir/trunc.json")
[ "$acc_t" = "$acc_s" ] || fail "rank-64 truncation accuracy $acc_s, teacher $acc_t"
# the noise ceiling: a noise-free teacher reproduces itself exactly (R2 1); with noise it is
# below 1 and no fit exceeds it by more than the spread of two noise draws (0.05 here)
ceil0=$(sed -n 's/.*"r2_ceiling": \([-0-9.e+]*\).*/\1/p' "$dir/trunc.json")
awk -v c="$ceil0" 'BEGIN { exit !(c == 1) }' || fail "noise-free R2 ceiling $ceil0"
ceil=$(sed -n 's/.*"r2_ceiling": \([-0-9.e+]*\).*/\1/p' "$dir/sw.json")
awk -v c="$ceil" 'BEGIN { exit !(c > 0 && c < 1) }' || fail "R2 ceiling $ceil with noise"
awk -F, -v c="$ceil" 'NR > 1 && $3 > c + 0.05 { exit 1 }' "$dir/sw/sweep.csv" ||
  fail "a fit's R2 exceeds the ceiling $ceil"

# reduced-rank regression is the least-squares optimum at its rank: its one-step R2 is at
# least that of OLS + truncated SVD on the same data (1e-12: rounding)
onestep() { sed -n 's/.*"onestep_r2": \([-0-9.e+]*\).*/\1/p' "$1"; }
run "$lrnn" lint sweep --teacher "$dir/full.h5" --ranks 1 --methods nlr --quiet --json "$dir/rrr.json"
run "$lrnn" lint sweep --teacher "$dir/full.h5" --ranks 1 --methods nlr --regression ols --quiet \
  --json "$dir/ols.json"
a=$(onestep "$dir/rrr.json") b=$(onestep "$dir/ols.json")
echo "one-step R2 at rank 1: RRR $a, OLS + truncation $b"
awk -v a="$a" -v b="$b" 'BEGIN { exit !(a >= b - 1e-12 && b > 0) }' || fail "RRR $a < OLS $b"

# ---- bad inputs: clear messages, nothing written ----
for bad in 0:2 3:1 a 1:x 1,,2 ""; do
  expect 1 "\-\-ranks" "$lrnn" lint sweep --teacher "$dir/full.h5" --ranks "$bad" --out "$dir/never"
done
expect 1 "rank 65 exceeds the 64 units" "$lrnn" lint sweep --teacher "$dir/full.h5" --ranks 1,65 \
  --out "$dir/never"
expect 1 "'svd' is not one of" "$lrnn" lint sweep --teacher "$dir/full.h5" --methods fit,svd \
  --out "$dir/never"
expect 1 "trunc needs a full-rank teacher.*low.h5 is low rank" "$lrnn" lint sweep \
  --teacher "$dir/low.h5" --ranks 1 --out "$dir/never"
expect 1 "missing.h5" "$lrnn" lint sweep --teacher "$dir/missing.h5" --out "$dir/never"
touch "$dir/file"
expect 1 "exists and is not a directory" "$lrnn" lint sweep --teacher "$dir/full.h5" --ranks 1 \
  --methods trunc --out "$dir/file"
expect 2 "positive" "$lrnn" lint sweep --teacher "$dir/full.h5" --epochs 0
[ ! -e "$dir/never" ] || fail "a failed sweep wrote $dir/never"
ls "$dir/sw" | grep -q '\.tmp' && fail "temporary files left: $(ls "$dir/sw")"
echo "lint sweep CLI ok"
