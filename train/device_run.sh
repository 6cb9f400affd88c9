#!/bin/sh
# One prepared training run of the temporal model on a GPU, for a session that is lent a device
# machine (docs/temporal-model.md §21). From the repository root, with the prepared data carried:
#
#   run(command="sh train/device_run.sh", carry=["data/prepared"], timeout_s=580)
#
# It fine-tunes the shipped temporal file (design, sizes and frozen lifter as shipped; the recipe of
# run tcn3 with 8x the windows per step) for MINUTES of wall time with the cosine spread over them,
# evaluates before and after on the fixed test tracks (the PyTorch reference's table, as in every
# table of docs/temporal-model.md) and leaves under $OUT the log and, only if the end beats the start
# on the selection score (training-split tracks; the test split never chooses), the exported weights
# and their model card. Nothing in weights/ is written: the session refits, calibrates and ships by hand.
#
# Environment: MINUTES (default 6), DEVICE (default cuda; cpu for a dry run here), WORKERS (processes
# drawing windows, default 12), BATCH (windows per step, default 256), EXTRA (more train_temporal.py
# arguments, e.g. "--lr 3e-4"), OUT (default train/runs/device-out).
set -eu
MINUTES=${MINUTES:-6}
DEVICE=${DEVICE:-cuda}
WORKERS=${WORKERS:-12}
BATCH=${BATCH:-256}
OUT=${OUT:-train/runs/device-out}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
$PY -c "import torch, sys; print('torch', torch.__version__, 'cuda', torch.cuda.is_available() and torch.cuda.get_device_name(0)); sys.exit(0 if '$DEVICE' == 'cpu' or torch.cuda.is_available() else 1)"
[ -f data/prepared/train.safetensors ] || { echo "data/prepared is missing: carry it (carry=[\"data/prepared\"])"; exit 1; }
RUNS=$(mktemp -d)
# shellcheck disable=SC2086
$PY train/train_temporal.py --device "$DEVICE" --threads 4 --sampler-workers "$WORKERS" --name device --runs "$RUNS" \
    --design v2 --freeze-lifter --init weights/diffpose-temporal.safetensors \
    --init-temporal weights/diffpose-temporal.safetensors --frame-weights weights/diffpose.safetensors \
    --batch "$BATCH" --final-windows $((BATCH / 4)) --diff-batch $((BATCH * 8)) --lr 5e-4 --warmup 100 --steps 0 \
    --minutes "$MINUTES" --final-acc-weight 0.3 --fps 24,36 --log-every 100 --eval-every 1000000 --eval-start --eval-end \
    --export "$OUT/diffpose-temporal.safetensors" --card "$OUT/MODEL_CARD-temporal.md" ${EXTRA:-} > "$OUT/train.log" 2>&1 || status=$?
# The log lies in $OUT either way (also when the run is stopped at its time limit); its end is the reply's tail.
tail -c 11000 "$OUT/train.log"
exit "${status:-0}"
