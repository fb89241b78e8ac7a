#!/usr/bin/env bash
# The mmcae quickstart (the README's main job): demo data -> CAE
# pretraining -> published encoder -> linear and attentive probes, UperNet
# and Mask R-CNN from it AND from a random encoder -> one table.
#   bash tools/quickstart.sh [--tiny] [--work-dir work_dirs/quickstart]
#       [--data-root data/demo] [--jobs N] [--seed 0]
# See tools/quickstart.py for what each step runs.
set -euo pipefail
PYTHON=${PYTHON:-python}
exec "$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/quickstart.py" "$@"
