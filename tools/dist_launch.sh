#!/usr/bin/env bash
# torchrun on one or several nodes, shared by dist_train.sh and dist_test.sh:
#   tools/dist_launch.sh SCRIPT NPROC [script args]
# Environment: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1),
# PORT (29500), PYTHON (python).
# The script's files (data roots, annotation files, pretrained checkpoints)
# are checked once first (tools/misc/preflight.py): when one is missing,
# its message (exit status 2) is the last thing printed and torchrun never
# starts. PREFLIGHT=0 skips this (each rank still checks).
set -euo pipefail
SCRIPT=$1
NPROC=$2
if [ "${PREFLIGHT:-1}" != "0" ]; then
    TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    "${PYTHON:-python}" "$TOOLS_DIR/misc/preflight.py" "$SCRIPT" "${@:3}" \
        || exit $?
fi
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" \
    --master_port="${PORT:-29500}" \
    "$SCRIPT" "${@:3}"
