#!/bin/sh
# Commits weights/diffpose.safetensors + weights/MODEL_CARD.md whenever a running train.py has
# exported a better model, until that process ends (then one last check).
#   nohup sh train/autocommit.sh <train.py pid> [interval_s] > train/runs/autocommit.log 2>&1 &
PID=$1
INTERVAL=${2:-600}
cd "$(dirname "$0")/.." || exit 1
commit() {
  if git diff --quiet -- weights/diffpose.safetensors weights/MODEL_CARD.md; then return; fi
  # the file must be a complete safetensors file
  /usr/bin/python3 -c "import sys; sys.path.insert(0, 'train'); from diffpose.export import load; load('weights/diffpose.safetensors')" || return
  ev=$(grep -m1 "lifter + DDIM" weights/MODEL_CARD.md | cut -d'|' -f3 | tr -d ' ')
  step=$(grep -m1 "checkpoint step" weights/MODEL_CARD.md | sed 's/.*checkpoint step \([0-9]*\).*/\1/')
  for try in 1 2 3 4 5; do
    if git commit -q -m "weights: training step $step (lifter+DDIM ${ev} mm on the quick eval)" \
        -- weights/diffpose.safetensors weights/MODEL_CARD.md; then
      echo "$(date +%T) committed step $step ($ev mm)"; return
    fi
    sleep 5
  done
}
while kill -0 "$PID" 2>/dev/null; do
  sleep "$INTERVAL"
  commit
done
commit
echo "$(date +%T) training process $PID ended"
