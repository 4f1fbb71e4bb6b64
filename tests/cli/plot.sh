#!/usr/bin/env bash
# lrnn plot flow (issue 10, spec lint_method.md 5.4): small barely-trained teachers (a rank-2 DMS
# and a rank-1 CDM, N = 64, ~1 s each) give an SVG that parses as XML, a PNG with its signature
# and the figure's size, and JSON whose fixed points have a vanishing flow and a stability flag
# that agrees with their eigenvalues (stable iff every Re eig of the pseudo-Jacobian < 1). Then
# the errors a user meets: a full-rank model, a missing file, a bad figure name, an input of the
# wrong width, a context without a cdm task: each exits non-zero and writes nothing.
# $1: lrnn binary, $2: scratch dir.
# shellcheck source=common.bash
source "$(dirname "$0")/common.bash"

expect 0 "flow" "$lrnn" plot --help
expect 2 "usage" "$lrnn" plot
expect 2 "usage" "$lrnn" plot frobnicate
expect 0 "pseudo-Jacobian" "$lrnn" plot flow --help

run "$lrnn" task train --task dms --units 64 --trials 200 --epochs 5 --pretrain-epochs 0 --quiet \
  --seed 2 --out "$dir/dms.h5"
run "$lrnn" task train --task cdm --units 64 --trials 200 --epochs 5 --quiet --seed 2 \
  --out "$dir/cdm.h5"

# ---- rank 2: both formats ----
expect 0 "rank 2, N = 64" "$lrnn" plot flow --model "$dir/dms.h5" --trials 8 --grid 15 \
  --out "$dir/dms.svg" --json "$dir/dms.json"
expect 0 "fixed point" "$lrnn" plot flow --model "$dir/dms.h5" --input-index 0 \
  --out "$dir/dms.png"
[ -s "$dir/dms.svg" ] && [ -s "$dir/dms.png" ] || fail "figures missing"
ls "$dir" | grep -q '\.tmp\.' && fail "temporary file left: $(ls "$dir")"
grep -q '<svg' "$dir/dms.svg" || fail "dms.svg has no <svg element"
# PNG: the 8-byte signature, then IHDR with width 1150 and height 500 (big-endian)
sig=$(head -c 24 "$dir/dms.png" | od -An -tx1 | tr -d ' \n')
[ "${sig:0:16}" = "89504e470d0a1a0a" ] || fail "dms.png: bad PNG signature $sig"
[ "${sig:32:16}" = "0000047e000001f4" ] || fail "dms.png: size is not 1150 x 500: ${sig:32:16}"

py=/usr/bin/python3
if [ -x "$py" ]; then
  "$py" -c "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]);
assert d.documentElement.tagName == 'svg', d.documentElement.tagName" "$dir/dms.svg" ||
    fail "dms.svg is not well-formed XML"
  # every fixed point: flow ~ 0 (Newton's tolerance 1e-10 plus rounding), stable iff all
  # Re eig(P) < 1, Jacobian eigenvalues = eig(P) - 1; rank and input recorded
  "$py" - "$dir/dms.json" <<'EOF' || fail "dms.json fails its checks"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["rank"] == 2 and r["units"] == 64 and r["input"] == [0.0, 0.0], r
fps = r["fixed_points"]
assert len(fps) >= 1, "no fixed point"
for fp in fps:
    assert len(fp["kappa"]) == 2
    assert fp["residual"] < 1e-8, fp
    re = [e["re"] for e in fp["pseudo_jacobian_eigenvalues"]]
    assert fp["stable"] == all(x < 1 for x in re), fp
    for e, j in zip(fp["pseudo_jacobian_eigenvalues"], fp["jacobian_eigenvalues"]):
        assert abs(e["re"] - 1 - j["re"]) < 1e-12 and e["im"] == j["im"], fp
print("dms.json:", len(fps), "fixed point(s), stable:", [fp["stable"] for fp in fps])
EOF
else
  echo "skip: no /usr/bin/python3 for the XML and JSON checks"
  grep -q '"fixed_points"' "$dir/dms.json" || fail "dms.json lacks fixed_points"
fi

# ---- rank 1, under a context of the cdm task, and with inputs from a file ----
expect 0 "context 2 (motion)" "$lrnn" plot flow --model "$dir/cdm.h5" --context 2 \
  --out "$dir/cdm.svg" --json "$dir/cdm.json"
grep -q '"input": \[' "$dir/cdm.json" || fail "cdm.json lacks the input"
# one trial of 30 steps x 4 inputs as CSV (context 1 on, a colour pulse)
awk 'BEGIN { for (t = 0; t < 30; t++) printf "%g,0,0.1,0\n", (t >= 5 && t < 20) ? 0.2 : 0 }' \
  > "$dir/u.csv"
expect 0 "1 trial" "$lrnn" plot flow --model "$dir/cdm.h5" --inputs "$dir/u.csv" \
  --out "$dir/cdm_u.png"

# ---- errors: non-zero exit, a clear message, nothing written ----
run "$lrnn" task train --task cdm --units 32 --trials 100 --epochs 1 --rank full \
  --pretrain-epochs 0 --quiet --out "$dir/full.h5"
expect 1 "full-rank network.*no m1-m2 plane" "$lrnn" plot flow --model "$dir/full.h5" \
  --out "$dir/never.svg" --json "$dir/never.json"
expect 1 "nope.h5" "$lrnn" plot flow --model "$dir/nope.h5" --out "$dir/never.svg"
expect 2 ".svg or .png" "$lrnn" plot flow --model "$dir/dms.h5" --out "$dir/never.pdf"
expect 1 "needs a cdm task" "$lrnn" plot flow --model "$dir/dms.h5" --context 1 \
  --out "$dir/never.svg"
expect 1 "input-index 5.*2 inputs" "$lrnn" plot flow --model "$dir/dms.h5" --input-index 5 \
  --out "$dir/never.svg"
expect 1 "u.csv.*2 inputs" "$lrnn" plot flow --model "$dir/dms.h5" --inputs "$dir/u.csv" \
  --out "$dir/never.svg"
expect 1 "no/such/dir" "$lrnn" plot flow --model "$dir/dms.h5" --out "$dir/no/such/dir/f.svg"
for f in never.svg never.pdf never.json; do
  [ -e "$dir/$f" ] && fail "$f written on error"
done
# a failed run leaves an existing figure untouched
cp "$dir/dms.svg" "$dir/keep.svg"
expect 1 "full-rank" "$lrnn" plot flow --model "$dir/full.h5" --out "$dir/keep.svg"
cmp -s "$dir/dms.svg" "$dir/keep.svg" || fail "keep.svg changed by a failed run"
ls "$dir" | grep -q '\.tmp\.' && fail "temporary file left: $(ls "$dir")"
echo "plot: ok"
