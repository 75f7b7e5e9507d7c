#!/usr/bin/env bash
# Headless-Chromium check that every Plotly chart in the given HTML reports is drawn
# (default: every report under out/reports). Exit 0 = all drawn; see scripts/check_report.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${WORKBENCH_PYTHON:-/usr/bin/python3}"
if [ "$#" -eq 0 ]; then
    shopt -s nullglob
    set -- "$ROOT"/out/reports/*.html
    if [ "$#" -eq 0 ]; then
        echo "check-report: no reports in out/reports (run ./workbench notebooks first)" >&2
        exit 1
    fi
fi
exec "$PY" "$ROOT/scripts/check_report.py" "$@"
