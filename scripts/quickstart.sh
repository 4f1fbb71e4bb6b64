#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, then a real fit on generated
# data: a teacher network generates trials, a student is fitted by variational SMC with a
# progress bar, both are scored on held-out trials, the student generates new data
# (examples/quickstart/run.sh). Results go to out/quickstart/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
echo "== installing dependencies"
bash "$root/scripts/install-deps.sh"
echo "== building"
bash "$root/scripts/build.sh"
echo "== running examples/quickstart/run.sh"
bash "$root/examples/quickstart/run.sh" "$root/out/quickstart"
