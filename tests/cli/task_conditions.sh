#!/usr/bin/env bash
# lrnn task conditions (spec lint_method.md 6) and the recorded-data path: a tiny hidden CDM
# network (N = 24) gives a synthetic recording of spec 6's shapes (72 conditions x 150 bins x 20
# recorded neurons, inputs 72 x 150 x 4, a 64 / 8 split, 72 condition rows); X_cent has its
# condition-independent time course removed (the mean over the 72 conditions of every bin and
# neuron is 0: the regressors are balanced, so the OLS intercept is that mean); a rank-1 fit with
# --pre-period 70 explains part of it; bad inputs fail clearly and write nothing.
# $1: lrnn binary, $2: scratch dir.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "72 correct conditions" "$lrnn" task conditions --help
expect 0 "task conditions" "$lrnn" task --help

run "$lrnn" task train --task cdm --rank full --units 24 --trials 200 --epochs 20 --lr 1e-3 \
  --seed 4 --quiet --out "$dir/hidden.h5"
run "$lrnn" task conditions --teacher "$dir/hidden.h5" --neurons 20 --repeats 4 --seed 2 \
  --quiet --out "$dir/rec" --json "$dir/rec.json"
shape() { head -c 128 "$1" | LC_ALL=C sed -n "s/.*'shape': (\([0-9, ]*\)).*/\1/p"; }
[ "$(shape "$dir/rec/data.npy")" = "72, 150, 20" ] || fail "data.npy shape $(shape "$dir/rec/data.npy")"
[ "$(shape "$dir/rec/inputs.npy")" = "72, 150, 4" ] || fail "inputs.npy shape"
[ "$(shape "$dir/rec/train_data.npy")" = "64, 150, 20" ] || fail "train_data.npy shape"
[ "$(shape "$dir/rec/test_inputs.npy")" = "8, 150, 4" ] || fail "test_inputs.npy shape"
csv=$dir/rec/conditions.csv
[ "$(head -1 "$csv")" = "idx,correct,stim_dir_lvl,stim_col_lvl,context,stim_dir,stim_col,choice,ntrials,test" ] \
  || fail "conditions.csv header: $(head -1 "$csv")"
[ "$(tail -n +2 "$csv" | wc -l)" -eq 72 ] || fail "conditions.csv rows"
# spec 6's row order ((dir_lvl 6 + col_lvl) 2 + [context == 1]) and the correct choice
awk -F, 'NR > 1 { i = NR - 2
  if ($1 != i || $3 != int(i / 12) || $4 != int(i / 2) % 6 || $5 != (i % 2 ? 1 : -1)) bad = 1
  want = ($5 == 1) ? ($6 > 0 ? 1 : -1) : ($7 > 0 ? 1 : -1); if ($8 != want) bad = 1
  test += $10 } END { exit bad || test != 8 }' "$csv" || fail "conditions.csv content"
grep -q '"pre_period": 70' "$dir/rec.json" || fail "summary lacks the pre-period 70"

# X_cent: per (bin, neuron), the mean over the 72 conditions is 0, relative to the data's sd
# (1e-9: the OLS is solved in double precision on 72 rows)
header=$(( $(od -A n -t u2 -j 8 -N 2 "$dir/rec/data.npy") + 10 ))
od -A n -v -t f8 -w8 -j "$header" "$dir/rec/data.npy" | awk -v per=3000 '
  { j = (NR - 1) % per; s[j] += $1; sq += $1 * $1; n++ }
  END { sd = sqrt(sq / n); worst = 0
    for (j in s) if ((s[j] / 72 > 0 ? s[j] / 72 : -s[j] / 72) > worst) worst = (s[j] > 0 ? s[j] : -s[j]) / 72
    printf "X_cent: sd %.3g, largest |condition mean| %.3g\n", sd, worst
    exit !(n == 72 * per && sd > 0.01 && worst < 1e-9 * sd) }' || fail "X_cent is not centred over conditions"

# the recorded-data path: fit 64 conditions with the free pre-period, evaluate all 72
run "$lrnn" lint fit --data "$dir/rec/train_data.npy" --inputs "$dir/rec/train_inputs.npy" \
  --pre-period 70 --rank 1 --epochs 200 --quiet --out "$dir/fit.h5"
run "$lrnn" lint eval --student "$dir/fit.h5" --data "$dir/rec/data.npy" \
  --inputs "$dir/rec/inputs.npy" --pre-period 70 --json "$dir/eval.json"
r2=$(sed -n 's/.*"r2": \([-0-9.e+]*\).*/\1/p' "$dir/eval.json")
echo "rank-1 fit of the synthetic recording: R2 $r2 on all 72 conditions"
# 200 epochs reach R2 0.73 here (0.66 after 100); > 0.5 says the rank-1 network learned most
# of the recording (x = 0 scores R2 0, and the hidden network is not itself rank 1)
awk -v r="$r2" 'BEGIN { exit !(r > 0.5) }' || fail "R2 $r2 <= 0.5"

# bad input: nothing written
mkdir -p "$dir/full" && touch "$dir/full/x"
expect 1 "full exists and is not empty" "$lrnn" task conditions --teacher "$dir/hidden.h5" \
  --out "$dir/full"
expect 1 "exceeds the 24 units" "$lrnn" task conditions --teacher "$dir/hidden.h5" --neurons 25 \
  --out "$dir/never"
expect 1 "4 inputs and a task readout" "$lrnn" task conditions --teacher "$dir/fit.h5" \
  --out "$dir/never"
expect 1 "missing.h5" "$lrnn" task conditions --teacher "$dir/missing.h5" --out "$dir/never"
expect 2 "give --out" "$lrnn" task conditions --teacher "$dir/hidden.h5"
[ ! -e "$dir/never" ] || fail "a failed command wrote $dir/never"
ls "$dir" | grep -q '\.tmp' && fail "temporary files left: $(ls "$dir")"
echo "task conditions CLI ok"
