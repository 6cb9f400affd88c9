#!/bin/sh
# Debian's python3-torch links the reference BLAS (libblas.so.3, BLAS_INFO=generic), which makes
# training ~10x slower. This fetches OpenBLAS with apt-get download (no system change) into
# /tmp/openblas and runs the given command with it:   sh train/openblas.sh /usr/bin/python3 train/train.py ...
set -e
DIR=/tmp/openblas
LIB=$DIR/root/usr/lib/x86_64-linux-gnu/openblas-pthread
if [ ! -f "$LIB/libblas.so.3" ]; then
  mkdir -p $DIR
  (cd $DIR && apt-get download libopenblas0-pthread >/dev/null 2>&1 && dpkg -x libopenblas0-pthread_*.deb root)
fi
export LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
exec "$@"
