#!/usr/bin/env bash
# One-command set-up on a fresh Debian 12 machine: system packages (software Vulkan driver,
# Chromium, PyTorch), then the npm dependencies from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
# onnxruntime-node (a benchmark peer) would otherwise download GPU binaries in its install script.
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
