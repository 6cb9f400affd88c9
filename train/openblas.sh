#!/bin/sh
# Debian's python3-torch links the reference BLAS (libblas.so.3, BLAS_INFO=generic), which makes
# training ~10x slower. This fetches Debian's OpenBLAS with apt-get download (no system change)
# into train/runs/openblas (git-ignored; OPENBLAS_DIR overrides) and runs the given command with
# it, e.g.:   sh train/openblas.sh python3 train/train.py ...
set -e
DIR=${OPENBLAS_DIR:-$(cd "$(dirname "$0")" && pwd)/runs/openblas}
find_lib() { find "$DIR/root" -path '*openblas-pthread/libblas.so.3' 2>/dev/null | head -n 1; }
if [ -z "$(find_lib)" ]; then
  mkdir -p "$DIR"
  (cd "$DIR" && apt-get download libopenblas0-pthread >/dev/null 2>&1 && dpkg -x libopenblas0-pthread_*.deb root)
fi
LIB=$(dirname "$(find_lib)")
export LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
exec "$@"
