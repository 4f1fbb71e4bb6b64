#!/usr/bin/env bash
# lrnn fixedpoints: hand-built networks given as CSV arrays and model files, every method,
# JSON output, and the errors a user meets. $1: lrnn binary, $2: scratch directory.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "fixedpoints" "$lrnn" --help
expect 0 "max-order" "$lrnn" fixedpoints --help

# Rank-1 bistable switch z' = 0.5 z + relu(z - 1) - relu(z - 3): stable 0 and 4, unstable 2.
printf '1\n1\n' > "$dir/m1.csv"
printf '1,-1\n' > "$dir/n1.csv"
printf '1,3\n' > "$dir/h1.csv"
out=$("$lrnn" fixedpoints --m "$dir/m1.csv" --n "$dir/n1.csv" --h "$dir/h1.csv" --decay 0.5 \
  --activation relu --json "$dir/switch.json" 2>&1) || fail "switch: $out"
echo "$out" | grep -q "found 3 fixed point(s) and 0 cycle(s), 2 stable" || fail "switch: $out"
echo "$out" | grep -q "exhaustive" || fail "switch not labelled exhaustive: $out"
echo "$out" | grep -Eq "2 +1 +unstable node +1.5 " || fail "switch: middle point: $out"
grep -q '"exhaustive": true' "$dir/switch.json" || fail "switch.json: exhaustive"
[ "$(grep -c '"index"' "$dir/switch.json")" -eq 3 ] || fail "switch.json: 3 points"
grep -q '"pattern": "10"' "$dir/switch.json" || fail "switch.json: pattern of z = 2"
grep -q '"z": \[' "$dir/switch.json" || fail "switch.json: z"
grep -q '"eigenvalues"' "$dir/switch.json" || fail "switch.json: eigenvalues"
grep -q '"type": "unstable node"' "$dir/switch.json" || fail "switch.json: type"
# The same map as a clipped relu (h = 2) driven by W_u = 1, u = -3: clip(z - 1, 0, 2).
printf '1\n' > "$dir/mc.csv"; printf '1\n' > "$dir/nc.csv"; printf '2\n' > "$dir/hc.csv"
printf '1\n' > "$dir/wu.csv"
expect 0 "found 3 fixed point(s) and 0 cycle(s), 2 stable" "$lrnn" fixedpoints \
  --m "$dir/mc.csv" --n "$dir/nc.csv" --h "$dir/hc.csv" --decay 0.5 --activation clipped_relu \
  --wu "$dir/wu.csv" --input=-3
expect 0 "found 3 fixed point(s)" "$lrnn" fixedpoints --m "$dir/mc.csv" --n "$dir/nc.csv" \
  --h "$dir/hc.csv" --decay 0.5 --activation clipped_relu --input=-3   # input currents directly

# Rank-2 ring of 6 clipped-relu units: 61 fixed points, 19 stable (docs/fixedpoints.md).
awk 'BEGIN { pi = atan2(0, -1); for (i = 0; i < 6; i++) printf "%.17g,%.17g\n", cos(pi*i/3), sin(pi*i/3) }' > "$dir/m.csv"
awk 'BEGIN { pi = atan2(0, -1); for (r = 0; r < 2; r++) { for (i = 0; i < 6; i++) printf "%s%.17g", (i ? "," : ""), 2 * (r ? sin(pi*i/3) : cos(pi*i/3)); printf "\n" } }' > "$dir/n.csv"
printf '0.5,0.5,0.5,0.5,0.5,0.5\n' > "$dir/h.csv"
printf '0.5\n0.5\n' > "$dir/a.csv"
expect 0 "found 61 fixed point(s) and 0 cycle(s), 19 stable" "$lrnn" fixedpoints --m "$dir/m.csv" \
  --n "$dir/n.csv" --h "$dir/h.csv" --decay "$dir/a.csv" --activation clipped_relu \
  --input=-1.75,-1.75,-1.75,-1.75,-1.75,-1.75 --threads 2 --json "$dir/ring.json"
[ "$(grep -c '"index"' "$dir/ring.json")" -eq 61 ] || fail "ring.json: 61 points"
expect 0 "found 61 fixed point(s)" "$lrnn" fixedpoints --m "$dir/m.csv" --n "$dir/n.csv" \
  --h "$dir/h.csv" --decay 0.5 --activation clipped_relu --method scyfi --constrained \
  --budget 20000 --input=-1.75,-1.75,-1.75,-1.75,-1.75,-1.75

# SCYFI: z' = 2 P relu(z - 1) with P swapping the two dimensions has the 2-cycle (0,2) <-> (2,0).
printf '1,0\n0,1\n' > "$dir/mp.csv"; printf '0,2\n2,0\n' > "$dir/np.csv"; printf '1,1\n' > "$dir/hp.csv"
out=$("$lrnn" fixedpoints --m "$dir/mp.csv" --n "$dir/np.csv" --h "$dir/hp.csv" --decay 0 \
  --activation relu --method scyfi --max-order 2 --json "$dir/cycle.json" 2>&1) || fail "$out"
echo "$out" | grep -q "found 2 fixed point(s) and 1 cycle(s)" || fail "scyfi 2-cycle: $out"
echo "$out" | grep -q "not exhaustive" || fail "scyfi must say not exhaustive: $out"
grep -q '"floquet_multipliers"' "$dir/cycle.json" || fail "cycle.json: multipliers"

# Newton for tanh: z' = 0.5 z + tanh(2 z) has 0 (unstable) and two stable points.
printf '2\n' > "$dir/mt.csv"; printf '1\n' > "$dir/nt.csv"; printf '0\n' > "$dir/ht.csv"
expect 0 "found 3 fixed point(s) and 0 cycle(s), 2 stable" "$lrnn" fixedpoints --m "$dir/mt.csv" \
  --n "$dir/nt.csv" --h "$dir/ht.csv" --decay 0.5 --activation tanh
expect 0 "newton (not exhaustive)" "$lrnn" fixedpoints --m "$dir/mt.csv" --n "$dir/nt.csv" \
  --h "$dir/ht.csv" --decay 0.5 --activation tanh --starts 64

# Model files, with and without a constant input.
expect 0 "wrote" "$lrnn" init --rank 2 --units 40 --channels 4 --inputs 1 --out "$dir/model.h5"
expect 0 "exhaustive" "$lrnn" fixedpoints --model "$dir/model.h5"
expect 0 "input held constant" "$lrnn" fixedpoints --model "$dir/model.h5" --input 0.5 \
  --json "$dir/model.json"
grep -q '"source"' "$dir/model.json" || fail "model.json: config"
expect 0 "wrote" "$lrnn" init --rank 3 --units 30 --channels 4 --activation relu --out "$dir/relu.h5"
expect 0 "hyperplanes in rank 3" "$lrnn" fixedpoints --model "$dir/relu.h5" --max-order 2

# Usage errors (2) and data errors (1, nothing written).
expect 2 "either --model" "$lrnn" fixedpoints
expect 2 "either --model" "$lrnn" fixedpoints --model "$dir/model.h5" --m "$dir/m.csv"
expect 2 "all needed" "$lrnn" fixedpoints --m "$dir/m.csv" --n "$dir/n.csv" --h "$dir/h.csv" --decay 0.5
expect 2 "unknown fixed-point method" "$lrnn" fixedpoints --model "$dir/model.h5" --method bisect
expect 2 "max_order" "$lrnn" fixedpoints --model "$dir/model.h5" --max-order 0
expect 1 "newton" "$lrnn" fixedpoints --m "$dir/mt.csv" --n "$dir/nt.csv" --h "$dir/ht.csv" \
  --decay 0.5 --activation tanh --method analytic
expect 1 "transpose" "$lrnn" fixedpoints --m "$dir/m.csv" --n "$dir/m.csv" --h "$dir/h.csv" \
  --decay 0.5 --activation relu
expect 1 "m has N = 6" "$lrnn" fixedpoints --m "$dir/m.csv" --n "$dir/n.csv" --h "$dir/h1.csv" \
  --decay 0.5 --activation relu
expect 1 "expected 1 or R = 2" "$lrnn" fixedpoints --m "$dir/m.csv" --n "$dir/n.csv" \
  --h "$dir/h.csv" --decay "$dir/h.csv" --activation relu
expect 1 "takes U = 1" "$lrnn" fixedpoints --model "$dir/model.h5" --input 0.5,1
expect 1 "no inputs" "$lrnn" fixedpoints --model "$dir/relu.h5" --input 0.5
expect 1 "missing.csv" "$lrnn" fixedpoints --m "$dir/missing.csv" --n "$dir/n.csv" \
  --h "$dir/h.csv" --decay 0.5 --activation relu
expect 1 "max_vertices" "$lrnn" fixedpoints --model "$dir/relu.h5" --max-vertices 100
expect 1 "no_such_dir" "$lrnn" fixedpoints --model "$dir/model.h5" --json "$dir/no_such_dir/x.json"
[ -e "$dir/no_such_dir" ] && fail "a failed run created output"
ls "$dir" | grep -q '\.tmp\.' && fail "temporary files left behind"
echo "all fixedpoints CLI checks passed"
