#!/usr/bin/env bash
# Set up the mmcae stack in the ACTIVE Python environment, in one command:
#
#     bash tools/install.sh
#
# Steps (each prints its duration; the first failing step stops the script
# with a message saying what failed and what to try):
#   1. torch==2.14.1 and torchvision==0.29.1
#   2. build tools (setuptools<80 keeps pkg_resources, which mmcv's setup.py
#      and mmengine import), ninja, mmengine==0.10.7
#   3. mmcv==2.1.0 WITH its compiled ops. Upstream's setup.py hard-codes
#      -std=c++17 but torch 2.14's headers need C++20, so the PyPI source is
#      patched to -std=c++20 and built ONCE into a wheel kept in
#      ${MMCAE_CACHE:-~/.cache/mmcae}/wheels/<mmcv>-<torch>-<python>-<cpu|cuda>/;
#      later runs on the same machine install that wheel in seconds.
#      CPU ops by default; FORCE_CUDA=1 (with nvcc and a CUDA torch) builds
#      the CUDA ops too.
#   4. mmdet==3.3.0, mmsegmentation==1.2.2, mmpretrain==1.2.0, timm,
#      pycocotools and the test requirements
#   5. mmcae itself, editable (pip install -e .)
#   6. a check that everything imports, mmcv's ops included
#
# Environment: PYTHON (default: python), MMCAE_CACHE (wheel cache root),
# MAX_JOBS (parallel compile jobs for mmcv, default: number of cores),
# FORCE_CUDA=1 (build mmcv's CUDA ops).
# The script is idempotent: run it again after any failure or upgrade.
set -uo pipefail

PYTHON=${PYTHON:-python}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_ROOT=${MMCAE_CACHE:-$HOME/.cache/mmcae}
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMENGINE_VERSION=0.10.7
MMCV_VERSION=2.1.0
export PIP_ROOT_USER_ACTION=ignore
export PIP_DISABLE_PIP_VERSION_CHECK=1

PIP=("$PYTHON" -m pip)
TOTAL_START=$(date +%s)
STEP_INDEX=0
STEP_COUNT=6

fail() {
    # $1: what failed, $2: what to try
    echo "" >&2
    echo "install.sh: FAILED at step ${STEP_INDEX}/${STEP_COUNT}: $1" >&2
    echo "install.sh: try: $2" >&2
    exit 1
}

run_step() {
    # run_step "title" "hint on failure" function_name
    local title=$1 hint=$2 func=$3
    STEP_INDEX=$((STEP_INDEX + 1))
    local start
    start=$(date +%s)
    echo "[${STEP_INDEX}/${STEP_COUNT}] ${title} ..."
    if ! "$func"; then
        fail "$title" "$hint"
    fi
    echo "[${STEP_INDEX}/${STEP_COUNT}] ${title}: done in $(( $(date +%s) - start ))s"
}

pyval() {
    "$PYTHON" -c "$1" 2>/dev/null
}

step_torch() {
    "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 9), sys.version' ||
        { echo "Python >= 3.9 is required (3.11 is the tested version)" >&2; return 1; }
    "${PIP[@]}" install -q "torch==${TORCH_VERSION}" "torchvision==${TORCHVISION_VERSION}"
}

step_build_tools() {
    "${PIP[@]}" install -q "setuptools<80" wheel ninja psutil \
        "mmengine==${MMENGINE_VERSION}" "opencv-python<5"
}

mmcv_flavour() {
    if [ "${FORCE_CUDA:-0}" = "1" ]; then
        local cuda
        cuda=$(pyval 'import torch; print(torch.version.cuda or "")')
        if [ -z "$cuda" ]; then
            echo "FORCE_CUDA=1 but the installed torch has no CUDA support" >&2
            return 1
        fi
        if ! command -v nvcc >/dev/null 2>&1; then
            echo "FORCE_CUDA=1 but nvcc is not on PATH (set CUDA_HOME/PATH)" >&2
            return 1
        fi
        echo "cuda${cuda//./}"
    else
        echo "cpu"
    fi
}

mmcv_has_ops() {
    "$PYTHON" - <<EOF 2>/dev/null
import mmcv, mmcv._ext  # noqa: F401
import torch
assert mmcv.__version__ == '${MMCV_VERSION}', mmcv.__version__
want_cuda = '${1}' != 'cpu'
from mmcv.ops import nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]])
keep = nms(boxes, torch.tensor([0.9, 0.8]), 0.5)[1]
assert keep.tolist() == [0], keep
if want_cuda:
    from mmcv.utils import ext_loader
    ext = ext_loader.load_ext('_ext', ['get_compiling_cuda_version'])
    assert ext.get_compiling_cuda_version() != 'not available'
EOF
}

step_mmcv() {
    local flavour torch_tag py_tag key wheel_dir wheel
    flavour=$(mmcv_flavour) || return 1
    if mmcv_has_ops "$flavour"; then
        echo "    mmcv ${MMCV_VERSION} with ${flavour} ops is already installed"
        return 0
    fi
    torch_tag=$(pyval 'import torch; print(torch.__version__.split("+")[0])') || return 1
    py_tag=$(pyval 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")') || return 1
    key="mmcv-${MMCV_VERSION}_torch-${torch_tag}_${py_tag}_${flavour}"
    wheel_dir="${CACHE_ROOT}/wheels/${key}"
    wheel=$(ls "${wheel_dir}"/mmcv-*.whl 2>/dev/null | head -n 1)
    if [ -z "$wheel" ]; then
        echo "    no cached wheel in ${wheel_dir}: building mmcv ${MMCV_VERSION} from source"
        echo "    (about 15 min on 2 cores for CPU ops; done once per machine)"
        local work
        work=$(mktemp -d "${TMPDIR:-/tmp}/mmcae-mmcv-build.XXXXXX")
        # --no-build-isolation: mmcv's setup.py imports torch to decide what
        # to compile, so it must see the torch installed in step 1.
        "${PIP[@]}" download -q --no-deps --no-build-isolation --no-binary :all: \
            "mmcv==${MMCV_VERSION}" -d "$work" || return 1
        tar -xzf "$work/mmcv-${MMCV_VERSION}.tar.gz" -C "$work" || return 1
        local src="$work/mmcv-${MMCV_VERSION}"
        # The one source change: C++17 (and C++14 for old torch) -> C++20.
        sed -i 's/-std=c++1[47]/-std=c++20/g' "$src/setup.py"
        grep -q -- '-std=c++20' "$src/setup.py" ||
            { echo "could not patch the C++ standard in mmcv's setup.py" >&2; return 1; }
        local cuda_visible=""
        [ "$flavour" != "cpu" ] && cuda_visible=${CUDA_VISIBLE_DEVICES-}
        (
            cd "$src" &&
            CUDA_VISIBLE_DEVICES="$cuda_visible" MMCV_WITH_OPS=1 \
            FORCE_CUDA="$([ "$flavour" = cpu ] && echo 0 || echo 1)" \
            MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
            "${PIP[@]}" wheel -q --no-deps --no-build-isolation -w "$work/dist" .
        ) || return 1
        mkdir -p "$wheel_dir" || return 1
        local built
        built=$(ls "$work"/dist/mmcv-*.whl 2>/dev/null | head -n 1)
        [ -n "$built" ] || { echo "pip wheel produced no mmcv wheel" >&2; return 1; }
        # copy then rename, so a half-written wheel is never in the cache
        cp "$built" "$wheel_dir/.partial" && mv "$wheel_dir/.partial" "$wheel_dir/$(basename "$built")" || return 1
        rm -rf "$work"
        wheel="$wheel_dir/$(basename "$built")"
        echo "    cached ${wheel}"
    else
        echo "    using cached wheel ${wheel}"
    fi
    # mmcv-lite ships the same 'mmcv' package without ops: never keep both
    if "${PIP[@]}" show -q mmcv-lite >/dev/null 2>&1; then
        echo "    removing mmcv-lite (same package, no ops)"
        "${PIP[@]}" uninstall -y -q mmcv-lite || return 1
    fi
    "${PIP[@]}" install -q --force-reinstall --no-deps "$wheel" || return 1
    # mmcv's own dependencies (addict, yapf, ...), from the wheel's metadata
    "${PIP[@]}" install -q "$wheel" || return 1
    mmcv_has_ops "$flavour" ||
        { echo "mmcv installed but its ops do not load (python -c 'import mmcv._ext')" >&2; return 1; }
}

step_frameworks() {
    "${PIP[@]}" install -q -r "$REPO_ROOT/requirements/runtime.txt" \
        -r "$REPO_ROOT/requirements/tests.txt"
}

step_mmcae() {
    "${PIP[@]}" install -q --no-build-isolation --no-deps -e "$REPO_ROOT"
}

step_check() {
    "$PYTHON" - <<'EOF'
import mmcae
from mmcae.version import check_stack
check_stack(strict=True, verbose=True)
# import-time breakage of the frameworks on this torch shows up here
import mmdet.models, mmseg.models, mmpretrain.models  # noqa: E401,F401
from mmcv.ops import RoIAlign, nms  # noqa: F401
EOF
}

echo "mmcae install into $("$PYTHON" -c 'import sys; print(sys.prefix)' 2>/dev/null || echo "?") (python: $PYTHON)"
run_step "torch ${TORCH_VERSION} + torchvision ${TORCHVISION_VERSION}" \
    "check that pip can reach the package registry and that there is disk space (a CUDA torch is several GB)" step_torch
run_step "build tools + mmengine ${MMENGINE_VERSION}" \
    "pip install 'setuptools<80' wheel ninja mmengine==${MMENGINE_VERSION}" step_build_tools
run_step "mmcv ${MMCV_VERSION} with ops (cached wheel or a C++20 source build)" \
    "read the compiler error above; a C++20 compiler (gcc >= 10) is required; delete ${CACHE_ROOT}/wheels to force a rebuild" step_mmcv
run_step "mmdet / mmsegmentation / mmpretrain / timm / pycocotools" \
    "pip install -r requirements/runtime.txt and read pip's resolver message" step_frameworks
run_step "mmcae (editable)" "pip install --no-build-isolation -e ." step_mmcae
run_step "import check" "python -c 'import mmcae; mmcae.version.check_stack()' shows which package is off" step_check
echo "mmcae install: all ${STEP_COUNT} steps done in $(( $(date +%s) - TOTAL_START ))s"
