#!/usr/bin/env bash
# plotly.js comes from the npm registry (pinned in Kernel/Workbench.Charts/plotly/package.json) and is
# embedded into chart output, so reports render with no network.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/Kernel/Workbench.Charts/plotly"
if [ ! -f "$DIR/node_modules/plotly.js-dist-min/plotly.min.js" ]; then
    echo "setup: fetching plotly.js-dist-min from npm" >&2
    (cd "$DIR" && npm ci --silent --no-audit --no-fund >&2)
fi
