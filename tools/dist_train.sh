#!/usr/bin/env bash
# Distributed training with torchrun:
#   tools/dist_train.sh CONFIG GPUS [tools/train.py args]
# Multi-node: NNODES=2 NODE_RANK=0 MASTER_ADDR=host PORT=29500 tools/dist_train.sh ...
# Without CUDA, the GPUS processes run on CPU with the gloo backend.
# Missing data or weight files are reported once, before torchrun starts
# (tools/misc/preflight.py, run by dist_launch.sh).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [tools/train.py args]" >&2
    exit 2
fi
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$TOOLS_DIR/dist_launch.sh" "$TOOLS_DIR/train.py" "$2" "$1" \
    --launcher pytorch "${@:3}"
