#!/usr/bin/env bash
# LINT through the CLI (issue 9): reduced-size teachers (N = 64, 600 trials of which 120
# validate) for the four tasks must reach >= 95% validation accuracy (done-when 2, reduced size
# for CI); a rank-1 LINT fit of the CDM teacher must give R2 of rates > 0.9 on the validation
# trials and >= 90% accuracy through the teacher's readout; then the errors a user meets: wrong
# model type, N mismatch, bad data files, a diverging run, with nothing written on error.
# The 95% / 90% thresholds are the issue's; 120 validation trials resolve accuracy to 1/120.
# $1: lrnn binary, $2: scratch dir.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "lint fit" "$lrnn" --help
expect 0 "default: 512" "$lrnn" task train --help
expect 0 "pre-period" "$lrnn" lint fit --help
expect 0 "ECC" "$lrnn" lint eval --help
expect 2 "usage" "$lrnn" lint
expect 2 "usage" "$lrnn" task frobnicate

small="--units 64 --trials 600 --seed 3 --quiet"
acc() { sed -n 's/.*"validation_accuracy": \([-0-9.e+]*\).*/\1/p' "$1"; }
for spec in "rdm 30" "romo 100" "cdm 100" "dms 100"; do
  set -- $spec
  task=$1 epochs=$2
  run "$lrnn" task train --task "$task" $small --epochs "$epochs" --out "$dir/$task.h5" \
    --json "$dir/$task.json"
  a=$(acc "$dir/$task.json")
  echo "teacher $task: validation accuracy $a"
  awk -v a="$a" 'BEGIN { exit !(a >= 0.95) }' || fail "$task teacher accuracy $a < 0.95"
done

# LINT fit of the CDM teacher (spec 3.4: lr 1e-2, student sigma 0.03; 150 epochs instead of
# 50 since the reduced set has 480 training trials, R2 0.84 after 50) and eval with the noise
# of spec 7.1 (teacher 0.03, student 0.03).
run "$lrnn" lint fit --teacher "$dir/cdm.h5" --rank 1 --epochs 150 --quiet --out "$dir/s_cdm.h5" \
  --json "$dir/fit.json"
grep -q '"best_loss"' "$dir/fit.json" || fail "fit JSON lacks best_loss"
expect 0 "effective connectivity" "$lrnn" lint eval --teacher "$dir/cdm.h5" \
  --student "$dir/s_cdm.h5" --json "$dir/eval.json"
field() { sed -n "s/.*\"$1\": \([-0-9.e+]*\).*/\1/p" "$dir/eval.json"; }
r2=$(field r2) med=$(field r2_median_neuron) as=$(field accuracy_student) ecc=$(field ecc)
echo "LINT cdm rank 1: R2 $r2 (median per neuron $med), student accuracy $as, ECC $ecc"
awk -v r="$r2" 'BEGIN { exit !(r > 0.9) }' || fail "R2 $r2 <= 0.9"
awk -v a="$as" 'BEGIN { exit !(a >= 0.9) }' || fail "student accuracy $as < 0.9"

# ---- bad inputs: clear messages naming the file, nothing written ----
"$lrnn" init --preset oscillator --units 30 --out "$dir/smc.h5" > /dev/null 2>&1 || fail "init"
expect 1 "smc.h5 holds a stochastic low-rank" "$lrnn" lint eval --teacher "$dir/smc.h5" \
  --student "$dir/s_cdm.h5"
expect 1 "s_cdm.h5 holds a LINT rate network" "$lrnn" info "$dir/s_cdm.h5"
expect 1 "smc.h5" "$lrnn" lint fit --teacher "$dir/smc.h5" --rank 1 --out "$dir/never.h5"
# N mismatch: a 32-unit teacher against the 64-unit student
run "$lrnn" task train --task cdm --units 32 --trials 100 --epochs 1 --quiet --out "$dir/t32.h5"
expect 1 "N = 64 units.*N = 32" "$lrnn" lint eval --teacher "$dir/t32.h5" --student "$dir/s_cdm.h5" \
  --json "$dir/never.json"
# recorded trajectories (tests/data/lint/make_traj.py: a noise-free rank-1 network, 24 trials x
# 40 steps x 16 units, one input): the exact model class, so a rank-1 fit must explain the
# data; R2 > 0.9 leaves room for an optimisation of only 200 epochs (it reaches ~0.98).
fx="$(dirname "$0")/../data/lint"
run "$lrnn" lint fit --data "$fx/traj.npy" --inputs "$fx/inputs.npy" --mask "$fx/mask.npy" \
  --pre-period 5 --rank 1 --epochs 200 --batch 8 --quiet --out "$dir/s_traj.h5"
run "$lrnn" lint eval --student "$dir/s_traj.h5" --data "$fx/traj.npy" --inputs "$fx/inputs.npy" \
  --pre-period 5 --json "$dir/eval_traj.json"
sed -n 's/.*"r2": \([-0-9.e+]*\).*/\1/p' "$dir/eval_traj.json" > "$dir/r2.txt"
r2=$(cat "$dir/r2.txt")
echo "LINT fit to recorded trajectories: R2 $r2"
awk -v r="$r2" 'BEGIN { exit !(r > 0.9) }' || fail "R2 on trajectories $r2 <= 0.9"
# a student without a task is no teacher; a student of other sizes does not fit the data
expect 1 "s_traj.h5 stores no task" "$lrnn" lint eval --teacher "$dir/s_traj.h5" \
  --student "$dir/s_cdm.h5"
expect 1 "does not read out the 16 neurons" "$lrnn" lint eval --student "$dir/s_cdm.h5" \
  --data "$fx/traj.npy" --inputs "$fx/inputs.npy" --json "$dir/never.json"
# bad data files
printf 'not a numpy file' > "$dir/junk.npy"
expect 1 "junk.npy" "$lrnn" lint fit --data "$dir/junk.npy" --rank 1 --out "$dir/never.h5"
head -c 200 "$fx/traj.npy" > "$dir/trunc.npy"
expect 1 "trunc.npy" "$lrnn" lint fit --data "$dir/trunc.npy" --rank 1 --out "$dir/never.h5"
expect 1 "missing.npy" "$lrnn" lint fit --data "$dir/missing.npy" --rank 1 --out "$dir/never.h5"
expect 1 "allnan.npy" "$lrnn" lint fit --data "$fx/allnan.npy" --rank 1 --out "$dir/never.h5"
expect 1 "allnan.npy" "$lrnn" lint fit --data "$fx/traj.npy" --inputs "$fx/allnan.npy" --rank 1 \
  --out "$dir/never.h5"
expect 1 "junk.npy" "$lrnn" lint eval --student "$dir/s_traj.h5" --data "$dir/junk.npy" \
  --json "$dir/never.json"
printf 'a,b\n1,2\n' > "$dir/mask.csv"
expect 1 "mask.csv: the mask must be" "$lrnn" lint fit --data "$fx/traj.npy" --mask "$dir/mask.csv" \
  --rank 1 --out "$dir/never.h5"
expect 1 "exceeds the 16 neurons" "$lrnn" lint fit --data "$fx/traj.npy" --rank 17 --out "$dir/never.h5"
expect 2 "exactly one of --teacher and --data" "$lrnn" lint fit --rank 1 --out "$dir/never.h5"
# a diverging teacher run fails and writes nothing
expect 1 "diverged" "$lrnn" task train --task rdm --units 16 --trials 100 --epochs 3 --lr 1e300 \
  --clip 0 --quiet --out "$dir/never.h5"
expect 1 "below --min-accuracy" "$lrnn" task train --task rdm --units 16 --trials 100 --epochs 1 \
  --min-accuracy 1.01 --quiet --out "$dir/never.h5"
[ ! -e "$dir/never.h5" ] && [ ! -e "$dir/never.json" ] || fail "a failed command wrote a file"
ls "$dir" | grep -q '\.tmp' && fail "temporary files left: $(ls "$dir")"
echo "LINT CLI ok"
