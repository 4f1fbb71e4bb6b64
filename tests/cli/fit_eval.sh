#!/usr/bin/env bash
# lrnn fit / eval end to end on a small generated dataset: run directory contents, resume
# bit-identity, interruption, and the errors of bad runs. $1: lrnn binary, $2: scratch dir.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "wrote" "$lrnn" init --rank 2 --units 12 --channels 6 --activation tanh --out "$dir/teacher.h5"
expect 0 "sampled" "$lrnn" sample --model "$dir/teacher.h5" --trials 24 --steps 30 --out "$dir/data.npy"
expect 0 "sampled" "$lrnn" sample --model "$dir/teacher.h5" --trials 1 --steps 400 --out "$dir/long.npy"

common=(--rank 2 --units 12 --activation tanh --particles 8 --batch 4 --epochs 6 --lr 1e-3
        --valid-frac 0.25 --eval-every 2 --checkpoint-every 2 --seed 3)
expect 0 "done" "$lrnn" fit --data "$dir/data.npy" "${common[@]}" --out "$dir/full"
for f in model.h5 state.h5 log.csv config.json; do [ -s "$dir/full/$f" ] || fail "run lacks $f"; done
[ "$(wc -l < "$dir/full/log.csv")" -eq 7 ] || fail "log.csv should have a header and 6 rows"
grep -q '"particles": 8' "$dir/full/config.json" || fail "config.json lacks the fit options"
grep -q '"units": 12' "$dir/full/config.json" || fail "config.json lacks the model config"

# Stop after 3 epochs, resume: the same bounds and the same parameters as the straight run
# (identical samples from the two final models prove identical parameters).
expect 0 "stopped after epoch 3" "$lrnn" fit --data "$dir/data.npy" "${common[@]}" --stop-after 3 --out "$dir/split"
expect 0 "done" "$lrnn" fit --data "$dir/data.npy" "${common[@]}" --resume "$dir/split"
cut -d, -f1-4 "$dir/full/log.csv" > "$dir/a.csv"
cut -d, -f1-4 "$dir/split/log.csv" > "$dir/b.csv"
cmp -s "$dir/a.csv" "$dir/b.csv" || fail "resumed bounds differ: $(diff "$dir/a.csv" "$dir/b.csv")"
"$lrnn" sample --model "$dir/full/model.h5" --steps 50 --seed 2 --out "$dir/sa.npy" >/dev/null
"$lrnn" sample --model "$dir/split/model.h5" --steps 50 --seed 2 --out "$dir/sb.npy" >/dev/null
cmp -s "$dir/sa.npy" "$dir/sb.npy" || fail "resumed parameters differ"

# Thread count changes nothing.
expect 0 "done" "$lrnn" fit --data "$dir/data.npy" "${common[@]}" --threads 1 --out "$dir/one"
cut -d, -f1-4 "$dir/one/log.csv" > "$dir/c.csv"
cmp -s "$dir/a.csv" "$dir/c.csv" || fail "1-thread bounds differ"

# A long recording cut into windows; eval of the fitted model.
expect 0 "done" "$lrnn" fit --data "$dir/long.npy" --layout btx --rank 2 --units 12 --particles 8 \
  --window 25 --windows-per-epoch 8 --batch 4 --epochs 2 --valid-frac 0.2 --out "$dir/rec"
expect 0 "elbo" "$lrnn" eval --model "$dir/full/model.h5" --data "$dir/data.npy" --particles 16 \
  --repeats 2 --json "$dir/eval.json"
grep -q '"value"' "$dir/eval.json" || fail "eval.json lacks the value"

# Interruption saves a checkpoint and says how to continue.
"$lrnn" fit --data "$dir/long.npy" --rank 2 --units 12 --particles 64 --window 100 \
  --windows-per-epoch 64 --epochs 100000 --quiet --out "$dir/int" > "$dir/int.log" 2>&1 &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
[ "$rc" -eq 130 ] || fail "interrupted fit exited $rc: $(cat "$dir/int.log")"
grep -q "resume" "$dir/int.log" || fail "interrupted fit did not say how to resume"
[ -s "$dir/int/model.h5" ] && [ -s "$dir/int/state.h5" ] || fail "no checkpoint after interrupt"

# Errors: existing run without --resume, changed options on resume, bad data, wrong model.
expect 1 "already holds a fit" "$lrnn" fit --data "$dir/data.npy" "${common[@]}" --out "$dir/full"
expect 1 "differs" "$lrnn" fit --data "$dir/data.npy" "${common[@]}" --particles 9 --resume "$dir/full"
printf 'junk' > "$dir/bad.npy"
expect 1 "bad.npy" "$lrnn" fit --data "$dir/bad.npy" --rank 2 --out "$dir/bad"
expect 0 "wrote" "$lrnn" init --rank 1 --units 5 --channels 5 --out "$dir/five.h5"
"$lrnn" sample --model "$dir/five.h5" --trials 2 --steps 30 --out "$dir/five.npy" >/dev/null
expect 1 "does not fit the model" "$lrnn" eval --model "$dir/full/model.h5" --data "$dir/five.npy"
expect 2 "exactly one of" "$lrnn" fit --data "$dir/data.npy" --rank 2
expect 1 "linear-Gaussian" "$lrnn" fit --data "$dir/data.npy" --rank 2 --obs-nonlin softplus --out "$dir/nl"
echo "all fit/eval checks passed"
