#!/usr/bin/env bash
# Inactivations of a CDM full-rank teacher and its rank-1 LINT fit (spec lint_method.md 5.3 and
# 7.6, paper Fig. 3): the hand-made populations (top |I^ctx1| -> 1, top |I^ctx2| -> 2 of the
# fit's context input vectors, 100 of N = 1024 units) are silenced in both networks and the
# task accuracy per context is printed next to the paper's; then the Gaussian-mixture
# populations of the fit (K = 2 on [m, n, wi, wo], 50 restarts, seed 2022) with their
# stability, gains per context and the accuracy of support networks, and the same inactivation
# with those populations.
#   bash examples/lint/inactivation.sh [TEACHER.h5] [FIT.h5] [OUT_DIR]
# Defaults: the files examples/lint/black_box.sh writes (out/lint_black_box/teacher_cdm_full_1024.h5
# and out/lint_black_box/sweep/fit_rank1.h5) and OUT_DIR out/lint/inactivation. Environment: LRNN
# (the binary), TOP (units per hand-made population; default round(100 N / 1024), the paper's
# fraction), K (populations, 2). A reduced check: a full-rank teacher of 256 units
# (lrnn task train --task cdm --rank full --units 256, ~35 s) and a rank-1 fit (lrnn lint fit
# --rank 1 --epochs 200, ~2.5 min) take about 10 s here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lrnn=${LRNN:-$root/build/lrnn}
teacher=${1:-$root/out/lint_black_box/teacher_cdm_full_1024.h5}
fit=${2:-$root/out/lint_black_box/sweep/fit_rank1.h5}
out=${3:-$root/out/lint/inactivation}
for f in "$teacher" "$fit"; do
  [ -f "$f" ] || { echo "inactivation.sh: $f not found (run examples/lint/black_box.sh)" >&2; exit 1; }
done
mkdir -p "$out"

echo "== populations of the fit: Gaussian mixture, stability, gains, support networks"
"$lrnn" lint clusters --model "$fit" --teacher "$teacher" --k "${K:-2}" --features m,n,wi,wo \
  --restarts 50 --seed 2022 --stability-draws 20 --out "$out/clusters" --json "$out/clusters.json"
N=$(sed -n 's/.*"units": \([0-9]*\),.*/\1/p' "$out/clusters.json" | head -n 1)
top=${TOP:-$(( (100 * N + 512) / 1024 ))}
[ "$top" -ge 1 ] || top=1

echo
echo "== hand-made populations: top $top |I^ctx1| (input 2) and |I^ctx2| (input 3) of the fit"
"$lrnn" lint inactivate --teacher "$teacher" --student "$fit" --by-input 2,3 --top "$top" \
  --json "$out/inactivation_by_input.json"
echo
echo "== Gaussian-mixture populations"
"$lrnn" lint inactivate --teacher "$teacher" --student "$fit" \
  --populations "$out/clusters/labels.npy" --json "$out/inactivation_gmm.json"

# "a / b" accuracies (ctx1 / ctx2) of one network in the three conditions, from the JSON
pairs() {
  tr -d ' \n' < "$1" | grep -o "\"$2\":\[[^]]*\]" | sed 's/.*\[\(.*\),\(.*\)\]/\1 \2/' |
    awk '{ printf "%s%.2f / %.2f", (NR > 1 ? "   " : ""), $1, $2 }'
}
echo
echo "Spec 7.6: CDM full-rank teacher, hand-made populations (here N = $N, $top units each;"
echo "paper N = 1024, 100 units), accuracy ctx1 / ctx2:"
printf '%-22s %-11s   %-11s   %s\n' "model" "intact" "remove z=1" "remove z=2"
printf '%-22s %s\n' "rank-1 fit (here)" "$(pairs "$out/inactivation_by_input.json" student)"
printf '%-22s %s\n' "rank-1 fit (paper)" "1.00 / 1.00   0.92 / 0.42   0.52 / 0.86"
printf '%-22s %s\n' "teacher (here)" "$(pairs "$out/inactivation_by_input.json" teacher)"
printf '%-22s %s\n' "teacher (paper)" "1.00 / 1.00   1.00 / 0.49   0.64 / 0.93"
echo "(z=1: top |I^ctx1|; silencing it should spare ctx1 and hurt ctx2, z=2 the reverse, and the"
echo " fit should predict the teacher's pattern.)"
