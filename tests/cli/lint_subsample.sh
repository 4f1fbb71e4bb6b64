#!/usr/bin/env bash
# lrnn lint subsample (spec lint_method.md 3.4, 5.6): a tiny CDM teacher (N = 40, 300 trials of
# which 60 validate), two fractions x two draws with rank-1 and full-rank students; the CSV and
# JSON hold one row / entry per fit with the neuron counts floor(N p), R2 <= 1 and accuracies in
# [0, 1]; a second run on one thread gives the same numbers (the draws' streams depend on p and
# the draw only); bad --fractions and a bad --out fail clearly and write nothing.
# $1: lrnn binary, $2: scratch dir.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "restricted" "$lrnn" lint subsample --help
expect 0 "subsample" "$lrnn" lint --help

run "$lrnn" task train --task cdm --units 40 --trials 300 --epochs 40 --seed 2 --quiet \
  --out "$dir/t.h5"
sub() { "$lrnn" lint subsample --teacher "$dir/t.h5" --fractions 1,0.25 --draws 2 --epochs 15 \
  --full-rank --lr-full 1e-2 --quiet "$@"; }
OMP_NUM_THREADS=2 run sub --out "$dir/out" --json "$dir/s.json"
cp "$dir/last.log" "$dir/table.txt"
for f in subsampling.csv subsampling.json subsampling.svg; do
  [ -s "$dir/out/$f" ] || fail "no $f in --out"
done
cmp -s "$dir/s.json" "$dir/out/subsampling.json" || fail "--json and DIR/subsampling.json differ"
grep -q "<svg" "$dir/out/subsampling.svg" || fail "subsampling.svg is not an SVG"
grep -q "acc rank-1" "$dir/table.txt" || fail "no table on stdout: $(cat "$dir/table.txt")"

# CSV: header + 2 fractions x 2 draws x 2 models; neurons floor(40 p) = 40 and 10
csv=$dir/out/subsampling.csv
[ "$(head -1 "$csv" | cut -d, -f1-4)" = "p,neurons,draw,model" ] || fail "CSV header: $(head -1 "$csv")"
[ "$(tail -n +2 "$csv" | wc -l)" -eq 8 ] || fail "CSV has $(tail -n +2 "$csv" | wc -l) rows, want 8"
awk -F, 'NR > 1 {
  want = ($1 == 1) ? 40 : 10
  if ($2 != want) { print "row " NR ": p " $1 " has " $2 " neurons, want " want; bad = 1 }
  if (!($6 <= 1 && $7 <= 1)) { print "row " NR ": R2 " $6 " / " $7 " above 1"; bad = 1 }
  if (!($8 >= 0 && $8 <= 1 && $9 >= 0 && $9 <= 1)) { print "row " NR ": accuracy " $8 " / " $9; bad = 1 }
  n[$4]++
} END { if (n["low_rank"] != 4 || n["full_rank"] != 4) { print "models", n["low_rank"], n["full_rank"]; bad = 1 }
  exit bad }' "$csv" || fail "CSV values"
# the rank-1 fits at p = 1 learn something in 15 epochs: R2 well above 0 (it reaches ~0.7)
awk -F, 'NR > 1 && $1 == 1 && $4 == "low_rank" && !($6 > 0.3) { bad = 1 } END { exit bad }' "$csv" \
  || fail "rank-1 R2 at p = 1 not above 0.3: $(cat "$csv")"

# JSON: two fractions, each with statistics of both models and two draws
grep -c '"p":' "$dir/s.json" | grep -qx 2 || fail "JSON does not list 2 fractions"
grep -q '"neurons": 10' "$dir/s.json" || fail "JSON lacks neurons 10"
grep -q '"full_rank": {' "$dir/s.json" || fail "JSON lacks full-rank results"
[ "$(grep -c '"draw":' "$dir/s.json")" -eq 4 ] || fail "JSON does not hold 4 draws"

# reproducible whatever the thread count: the same numbers without the seconds column
OMP_NUM_THREADS=1 run sub --out "$dir/out1"
cut -d, -f1-11 "$csv" > "$dir/a.csv"
cut -d, -f1-11 "$dir/out1/subsampling.csv" > "$dir/b.csv"
cmp -s "$dir/a.csv" "$dir/b.csv" || fail "1 and 2 threads differ: $(diff "$dir/a.csv" "$dir/b.csv")"

# bad input: clear messages, nothing written
bad() { "$lrnn" lint subsample --teacher "$dir/t.h5" --draws 1 --epochs 1 --quiet \
  --out "$dir/never" --json "$dir/never.json" "$@"; }
expect 1 "'abc' is not a number" bad --fractions 1,abc
expect 1 "1.5 is not a fraction in (0, 1]" bad --fractions 1.5
expect 1 "0 is not a fraction in (0, 1]" bad --fractions 0,0.5
expect 1 "ends with a comma" bad --fractions 0.5,
expect 1 "--fractions is empty" bad --fractions ""
expect 1 "floor(40 x 0.01) = 0 neurons" bad --fractions 0.5,0.01
expect 1 "fewer than --rank 5" bad --fractions 0.1 --rank 5
expect 1 "subsampling.json" "$lrnn" lint subsample --teacher "$dir/out/subsampling.json" --quiet
# a LINT student stores its teacher's task but has no task readout to restrict
run "$lrnn" lint fit --teacher "$dir/t.h5" --rank 1 --epochs 1 --quiet --out "$dir/student.h5"
expect 1 "identity readout" bad --teacher "$dir/student.h5" --fractions 0.5
touch "$dir/file"
expect 1 "exists and is not a directory" "$lrnn" lint subsample --teacher "$dir/t.h5" --out "$dir/file"
expect 2 "must be positive" bad --draws 0
[ ! -e "$dir/never" ] && [ ! -e "$dir/never.json" ] || fail "a failed command wrote a file"
ls "$dir" "$dir/out" | grep -q '\.tmp' && fail "temporary files left"
echo "lint subsample CLI ok"
