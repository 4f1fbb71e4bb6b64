#!/usr/bin/env bash
# lrnn lint clusters / lrnn lint inactivate (issue 10; spec lint_method.md 5.3, 7.6) on a small
# full-rank CDM teacher (N = 64, 600 trials, 120 validate) and its rank-1 fit:
#  * the intact rows of inactivate reproduce lrnn lint eval's accuracies exactly (same trials,
#    noise streams and teacher readout), so the inactivation table is on eval's scale;
#  * silencing every unit leaves a zero readout: accuracy 0 in both contexts (sign(0) is never
#    the target's sign), for teacher and student alike;
#  * clusters writes one int32 label per unit, counts that add up to N, gains in (0, 1], and its
#    labels feed inactivate;
#  * bad inputs fail with the file and the problem named, and write nothing.
# $1: lrnn binary, $2: scratch dir.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "stability" "$lrnn" lint clusters --help
expect 0 "by-input" "$lrnn" lint inactivate --help
expect 2 "exactly one of --populations" "$lrnn" lint inactivate --teacher x.h5
expect 2 "missing required option --model" "$lrnn" lint clusters

run "$lrnn" task train --task cdm --rank full --units 64 --trials 600 --seed 3 --quiet \
  --out "$dir/t.h5"
run "$lrnn" lint fit --teacher "$dir/t.h5" --rank 1 --epochs 40 --quiet --out "$dir/s.h5"
run "$lrnn" lint eval --teacher "$dir/t.h5" --student "$dir/s.h5" --json "$dir/eval.json"
num() { sed -n "s/.*\"$2\": \([-0-9.e+]*\).*/\1/p" "$1" | head -n 1; }

# ---- inactivate with hand-made populations (top 8 |I^ctx1|, top 8 |I^ctx2|) ----
run "$lrnn" lint inactivate --teacher "$dir/t.h5" --student "$dir/s.h5" --by-input 2,3 --top 8 \
  --json "$dir/inact.json"
cat "$dir/last.log"
# the first condition (intact) must equal eval's accuracies
intact_t=$(num "$dir/inact.json" teacher_all) intact_s=$(num "$dir/inact.json" student_all)
[ "$intact_t" = "$(num "$dir/eval.json" accuracy_teacher)" ] ||
  fail "intact teacher accuracy $intact_t differs from lint eval's"
[ "$intact_s" = "$(num "$dir/eval.json" accuracy_student)" ] ||
  fail "intact student accuracy $intact_s differs from lint eval's"
[ "$(grep -c '"units"' "$dir/inact.json")" -eq 3 ] || fail "expected 3 conditions"
grep -q '"units": 8' "$dir/inact.json" || fail "a population of 8 units was expected"

# ---- every unit silenced: the readout is exactly zero ----
for i in $(seq 64); do echo 0; done > "$dir/all.csv"
run "$lrnn" lint inactivate --teacher "$dir/t.h5" --student "$dir/s.h5" --populations \
  "$dir/all.csv" --json "$dir/all.json"
tr -d ' \n' < "$dir/all.json" | grep -q '"population":0,"units":64,"teacher":\[0\.0,0\.0\],"teacher_all":0\.0,"student":\[0\.0,0\.0\]' ||
  fail "silencing all 64 units must give accuracy 0: $(cat "$dir/all.json")"

# ---- clusters: labels, counts, gains; the labels feed inactivate ----
run "$lrnn" lint clusters --model "$dir/s.h5" --teacher "$dir/t.h5" --k 2 --restarts 5 \
  --stability-draws 3 --support-draws 2 --out "$dir/cl" --json "$dir/cl.json"
cat "$dir/last.log"
# .npy of 64 int32: a 128-byte header (format 1.0) + 256 bytes
[ "$(wc -c < "$dir/cl/labels.npy")" -eq 384 ] || fail "labels.npy is not 64 int32 values"
grep -q "'descr': '<i4'" "$dir/cl/labels.npy" || fail "labels.npy is not int32"
tr -d ' \n' < "$dir/cl.json" | grep -o '"counts":\[[0-9]*,[0-9]*\]' | tr -dc '0-9,' |
  awk -F, '{ exit !($1 + $2 == 64 && $1 >= $2 && $2 > 0) }' || fail "counts do not add up to 64"
tr -d ' \n' < "$dir/cl.json" | sed 's/.*"gains":\[\(.*\)\],"rates".*/\1/' | tr -d '[]' |
  tr ',' '\n' | awk '{ if (!($1 > 0 && $1 <= 1)) bad = 1 } END { exit bad }' ||
  fail "gains outside (0, 1]"
grep -q '"accuracy_mean"' "$dir/cl.json" || fail "no support-network accuracy"
run "$lrnn" lint inactivate --teacher "$dir/t.h5" --student "$dir/s.h5" --populations \
  "$dir/cl/labels.npy" --json "$dir/inact_cl.json"
[ "$(grep -c '"units"' "$dir/inact_cl.json")" -eq 3 ] || fail "expected intact + 2 populations"
# without a teacher: the student's own task gives the gains; wo needs the teacher's readout
run "$lrnn" lint clusters --model "$dir/s.h5" --features m,n,wi --restarts 3 --stability-draws 0
grep -q "gain ctx2" "$dir/last.log" || fail "no gains from the student's stored task"
expect 1 "identity readout" "$lrnn" lint clusters --model "$dir/s.h5" --json "$dir/never.json"

# ---- bad inputs: named, nothing written ----
for i in $(seq 63); do echo 1; done > "$dir/short.csv"
expect 1 "short.csv: population labels of shape" "$lrnn" lint inactivate --teacher "$dir/t.h5" \
  --populations "$dir/short.csv" --json "$dir/never.json"
{ for i in $(seq 63); do echo 1; done; echo 0.5; } > "$dir/frac.csv"
expect 1 "frac.csv: label 0.5 of unit 63" "$lrnn" lint inactivate --teacher "$dir/t.h5" \
  --populations "$dir/frac.csv" --json "$dir/never.json"
expect 1 "channel 7 is not one of the network's 4 inputs" "$lrnn" lint inactivate \
  --teacher "$dir/t.h5" --by-input 2,7 --top 8 --json "$dir/never.json"
expect 1 "top 65 exceeds" "$lrnn" lint inactivate --teacher "$dir/t.h5" --by-input 2 --top 65
expect 1 "unknown loading 'q'" "$lrnn" lint clusters --model "$dir/s.h5" --features m,q \
  --out "$dir/never"
run "$lrnn" task train --task cdm --units 32 --trials 100 --epochs 1 --quiet --out "$dir/t32.h5"
expect 1 "N = 64 units.*N = 32" "$lrnn" lint inactivate --teacher "$dir/t32.h5" \
  --student "$dir/s.h5" --by-input 2 --top 8 --json "$dir/never.json"
expect 1 "N = 64 units.*N = 32" "$lrnn" lint clusters --model "$dir/s.h5" --teacher "$dir/t32.h5" \
  --out "$dir/never"
touch "$dir/afile"
expect 1 "afile exists and is not a directory" "$lrnn" lint clusters --model "$dir/s.h5" \
  --features m,n --restarts 2 --stability-draws 0 --out "$dir/afile"
[ ! -e "$dir/never.json" ] && [ ! -e "$dir/never" ] || fail "a failed command wrote output"
ls "$dir" | grep -q '\.tmp\.' && fail "temporary files left behind"
echo "lint_populations: OK"
