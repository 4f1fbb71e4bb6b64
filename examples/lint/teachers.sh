#!/usr/bin/env bash
# Teacher networks of the LINT validation (spec lint_method.md 4.6, paper Table 1): rank-1 DM
# (rdm) and CDM, rank-2 WM (romo) and DMS teachers of N = 512 units, each trained on 1000
# task trials (the last 200 validate) with the recipes of `lrnn task train` (romo and dms:
# full-rank pretraining, then the SVD initialisation; dms through its delay curriculum). Each
# prints its validation accuracy; progress (epoch, loss, best loss, s/epoch, ETA) on stderr.
#   bash examples/lint/teachers.sh [OUT_DIR]
# Environment: N (512), TRIALS (1000), EPOCHS (0: the recipes'), TASKS ("rdm romo cdm dms"),
# LRNN (the lrnn binary). Measured at N = 512 on one core: 0.6 s per epoch (rdm, cdm), 1.3 s
# (romo), 2.2 s (dms, T = 255) for the low-rank stages, so a few minutes per teacher and about a
# quarter of an hour for dms (three curriculum stages plus pretraining). N=64 TRIALS=600
# EPOCHS=100 is a half-minute check.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lrnn=${LRNN:-$root/build/lrnn}
out=${1:-$root/out/lint}
mkdir -p "$out"
for task in ${TASKS:-rdm romo cdm dms}; do
  echo "== teacher $task (N = ${N:-512})"
  "$lrnn" task train --task "$task" --units "${N:-512}" --trials "${TRIALS:-1000}" \
    --epochs "${EPOCHS:-0}" --seed 1 --min-accuracy 0.9 --out "$out/teacher_$task.h5" \
    --json "$out/teacher_$task.json"
done
echo "== teachers in $out"
