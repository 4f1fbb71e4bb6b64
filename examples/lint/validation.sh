#!/usr/bin/env bash
# The LINT validation experiment (spec lint_method.md 7.1, paper Fig. 1 and Table 1): for each
# task, a low-rank teacher (N = 512; rank 1 for DM and CDM, rank 2 for WM and DMS) from
# teachers.sh, a LINT student of the teacher's rank fitted to the teacher's rates on its 800
# training trials with the per-task settings of spec 3.4 / 7.1 (student sigma in training: DM
# 0, WM 0.05, CDM 0.03, DMS 0; epochs: DM 100, WM 1000 at lr 1e-3, CDM 50, DMS 500), then the
# evaluation on the 200 validation trials with each network's own noise (teacher / student:
# DM 0.05 / 0.05, WM 0.01 / 0, CDM 0.03 / 0.03, DMS 0.05 / 0). Prints R2 and ECC side by side
# with the paper's, and the student's task accuracy through the teacher's readout.
#   bash examples/lint/validation.sh [OUT_DIR]
# Environment: as teachers.sh (N, TRIALS, EPOCHS for the teachers, TASKS, LRNN) and
# FIT_EPOCHS (0: spec 3.4's). Teachers already in OUT_DIR are reused. The full size takes
# about an hour on one core (the fits: 0.25 s per epoch for DM, 0.45 s for CDM at N = 512; WM
# runs 1000 epochs, DMS 500); N=64 TRIALS=600 EPOCHS=100 FIT_EPOCHS=100 takes about 45 s.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lrnn=${LRNN:-$root/build/lrnn}
out=${1:-$root/out/lint}
tasks=${TASKS:-rdm romo cdm dms}
mkdir -p "$out"
for task in $tasks; do
  [ -f "$out/teacher_$task.h5" ] || TASKS=$task LRNN=$lrnn bash "$root/examples/lint/teachers.sh" "$out"
done
rank() { case $1 in rdm|cdm) echo 1 ;; *) echo 2 ;; esac; }
for task in $tasks; do
  echo "== LINT fit of the $task teacher, rank $(rank "$task")"
  epochs=()
  [ "${FIT_EPOCHS:-0}" -gt 0 ] && epochs=(--epochs "$FIT_EPOCHS")
  "$lrnn" lint fit --teacher "$out/teacher_$task.h5" --rank "$(rank "$task")" "${epochs[@]}" \
    --seed 1 --out "$out/student_$task.h5" --json "$out/fit_$task.json"
  "$lrnn" lint eval --teacher "$out/teacher_$task.h5" --student "$out/student_$task.h5" \
    --json "$out/eval_$task.json"
done
field() { sed -n "s/.*\"$2\": \([-0-9.e+]*\).*/\1/p" "$1"; }
echo
echo "LINT validation (N = ${N:-512}; paper: spec 7.1, Table 1)"
printf '%-5s %-5s %9s %9s %9s %9s %9s %9s %9s\n' task name "R2" "R2 paper" "R2 med" ECC \
  "ECC paper" "acc stud" "acc teach"
for task in $tasks; do
  case $task in
    rdm) name=DM paper_r2=0.984 paper_ecc=0.988 ;;
    romo) name=WM paper_r2=0.958 paper_ecc=0.929 ;;
    cdm) name=CDM paper_r2=0.925 paper_ecc=0.991 ;;
    dms) name=DMS paper_r2=0.984 paper_ecc=0.874 ;;
  esac
  e=$out/eval_$task.json
  printf '%-5s %-5s %9.3f %9s %9.3f %9.3f %9s %9.3f %9.3f\n' "$task" "$name" "$(field "$e" r2)" \
    "$paper_r2" "$(field "$e" r2_median_neuron)" "$(field "$e" ecc)" "$paper_ecc" \
    "$(field "$e" accuracy_student)" "$(field "$e" accuracy_teacher)"
done
