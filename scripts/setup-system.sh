#!/usr/bin/env bash
# Installs the Debian packages this project needs on a fresh Debian 12 (bookworm) machine:
#  - Mesa >= 24 lavapipe (software Vulkan) from bookworm-backports: Dawn rejects bookworm's Mesa 22.
#  - Debian's chromium (headless browser tests; its SwiftShader Vulkan ICD is a second adapter).
#  - python3-torch (train/ and the PyTorch parity fixtures).
# The backports suite is derived from the machine's existing apt sources (same URIs), never a
# hard-coded mirror host. Needs root (or sudo). Safe to run twice.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

add_backports() {
  local deb822=/etc/apt/sources.list.d/debian.sources
  local out=/etc/apt/sources.list.d/diffpose-backports.sources
  if grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then return; fi
  if [ -f "$deb822" ]; then
    # Copy the stanza whose Suites list has plain "bookworm", with Suites replaced.
    $SUDO awk -v RS= -v ORS='\n\n' '/Suites:[^\n]*bookworm([ \n]|$)/ && !/bookworm-security/ {
        gsub(/Suites:[^\n]*/, "Suites: bookworm-backports"); print; exit }' "$deb822" \
      | $SUDO tee "$out" >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    grep -E '^deb\s+\S+\s+bookworm\s' /etc/apt/sources.list | head -n1 \
      | sed -E 's/\sbookworm\s/ bookworm-backports /' | $SUDO tee /etc/apt/sources.list.d/diffpose-backports.list >/dev/null
  fi
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list.d/; then
    echo "setup-system: could not derive a bookworm-backports source from the apt sources" >&2
    exit 1
  fi
}

add_backports
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium python3-torch python3-numpy >/dev/null
echo "setup-system: lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), chromium $(dpkg-query -W -f='${Version}' chromium), torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
