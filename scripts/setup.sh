#!/usr/bin/env bash
# Installs what the workbench needs on a fresh Debian machine with the .NET SDK:
# Debian's Jupyter tools, libzmq and Chromium (for the notebook kernel and report checks),
# and plotly.js from npm (embedded in reports so charts work offline).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quiet=0; [ "${1:-}" = "--quiet" ] && quiet=1
say() { [ "$quiet" = 1 ] || echo "setup: $*" >&2; }

PACKAGES=(jupyter-notebook python3-nbclient python3-nbconvert jupyter-nbconvert jupyter-client
          python3-jupyter-kernel-test libzmq5 chromium)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
else
    say "Debian packages present"
fi
"$ROOT/scripts/fetch-plotly.sh"
