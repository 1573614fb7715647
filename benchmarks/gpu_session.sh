#!/usr/bin/env bash
# The GPU checks of a session that is lent a device machine (the library's `device` tool),
# prepared so that its short device time goes to running, not to setting up.
#
#   bash benchmarks/gpu_session.sh prepare   # HERE (CPU machine, registry access): wheels
#                                            # of what the device image lacks, into .whl/
#                                            # (librosa pinned to the tested version)
#   device run, carry [".whl"], timeout_s 540:
#       bash benchmarks/gpu_session.sh tests   # pytest -m gpu (every xp=cupy test)
#       bash benchmarks/gpu_session.sh bench   # compare.py, harmonic and reassignment on cupy
#
# The device image (Python 3.12, see the device tool's KINDS.md) has numpy, scipy, numba,
# cupy-cuda13x, torch, torchaudio, scikit-learn, pytest and hypothesis; it lacks
# array-api-compat, librosa (and soundfile, soxr, audioread, pooch, platformdirs, decorator)
# and nnAudio. sigpu itself is the working tree (PYTHONPATH). Outputs land in $OUT (at most
# 8 files come back).
set -uo pipefail
cd "$(dirname "$0")/.."
stage="${1:-}"

case "$stage" in
prepare)
    grep -qxF '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    rm -rf .whl && mkdir .whl
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux1_x86_64 -d .whl \
        array-api-compat==1.16.0 librosa==0.11.0 soundfile soxr audioread pooch platformdirs \
        decorator nnAudio==0.3.4
    ls .whl
    exit
    ;;
tests | bench) ;;
*)
    echo "usage: $0 prepare|tests|bench" >&2
    exit 2
    ;;
esac

: "${OUT:?run this stage on the device machine (it writes to \$OUT)}"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=/tmp/numba-cache
nvidia-smi --query-gpu=name,memory.total,clocks.max.memory --format=csv | tee "$OUT/gpu.txt"
python3 -c "import sigpu, cupy; print(sigpu.__file__, cupy.__version__, cupy.cuda.is_available())"

if [ "$stage" = tests ]; then
    # the whole CuPy half on the real GPU (never the CPU emulation CI runs it on)
    SIGPU_TEST_CUPY=real timeout 500 python3 -m pytest -q -m gpu -p no:cacheprovider tests \
        2>&1 | tee "$OUT/pytest_gpu.log"
    exit
fi

timeout 200 python3 benchmarks/compare.py --backend cupy --no-topics --no-first-call \
    --report "$OUT/compare_gpu.md" --plot "$OUT/compare_gpu.png" 2>&1 | tee "$OUT/compare_gpu.log"
timeout 150 python3 benchmarks/compare_harmonic.py --backend cupy --repeat 5 \
    2>&1 | tee "$OUT/harmonic_gpu.md"
timeout 150 python3 benchmarks/compare_reassign.py --backend cupy --matlab-size --repeat 3 \
    2>&1 | tee "$OUT/reassign_gpu.md"
