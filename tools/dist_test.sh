#!/usr/bin/env bash
# Distributed evaluation with torchrun:
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py args]
# Multi-node: NNODES=2 NODE_RANK=0 MASTER_ADDR=host PORT=29500 tools/dist_test.sh ...
# Without CUDA, the GPUS processes run on CPU with the gloo backend.
# Missing data or weight files are reported once, before torchrun starts
# (tools/misc/preflight.py, run by dist_launch.sh).
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [tools/test.py args]" >&2
    exit 2
fi
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$TOOLS_DIR/dist_launch.sh" "$TOOLS_DIR/test.py" "$3" "$1" "$2" \
    --launcher pytorch "${@:4}"
