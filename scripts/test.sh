#!/usr/bin/env bash
# Runs every test suite of MMU Workbench on a fresh Debian machine with the .NET SDK:
#   1. installs what is needed (Debian packages, plotly.js)         scripts/setup.sh
#   2. builds the whole solution once (Release, into out/artifacts); publishes the CLI into out/cli; packs the MMU
#      extension into the local feed out/nuget (./workbench pack), which the notebooks load
#   3. model and kernel unit tests (xunit)
#   4. the whole access.c sweep (no PKU, PKU, 5-level) through the real walker   ./workbench sweep access
#   5. Jupyter protocol tests against the installed kernelspec      (python: jupyter_kernel_test + own)
#   6. every notebook executed by nbclient on our kernel and on .NET Interactive's, HTML reports opened in headless
#      Chromium
# and closes with one line "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/out"
ART="$OUT/artifacts"
LOGS="$OUT/test-logs"
PY="${WORKBENCH_PYTHON:-/usr/bin/python3}"
export WORKBENCH_CLI="$OUT/cli/workbench-cli"
mkdir -p "$LOGS"

passed=0; failed=0; failures=()
record() { # suite passed failed
    passed=$((passed + $2)); failed=$((failed + $3))
    [ "$3" -gt 0 ] && failures+=("$1 ($3 failed)")
    echo "== $1: $2 passed, $3 failed"
}

echo "== setup"
if ! "$ROOT/scripts/setup.sh"; then
    echo "setup failed"; echo "0 passed, 1 failed"; exit 1
fi

echo "== build (Release)"
if ! dotnet build "$ROOT/Workbench.sln" -c Release --artifacts-path "$ART" -nologo -v quiet -clp:ErrorsOnly > "$LOGS/build.log" 2>&1; then
    cat "$LOGS/build.log"; echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi
# The command-line host (and the notebook kernel) as users run it: published ReadyToRun into out/cli.
if ! "$ROOT/workbench" help > "$LOGS/publish.log" 2>&1; then
    cat "$LOGS/publish.log"; echo "publishing the CLI failed"; echo "0 passed, 1 failed"; exit 1
fi
# The local feed the notebooks load the MMU extension from (#i "nuget: ../out/nuget"), on both kernels; the notebook
# extension tests run the notebooks in-process, so it must exist before them (a fresh clone has no out/).
if ! "$WORKBENCH_CLI" pack > "$LOGS/pack.log" 2>&1; then
    cat "$LOGS/pack.log"; echo "packing the MMU extension (./workbench pack) failed"; echo "0 passed, 1 failed"; exit 1
fi

run_xunit() { # name project
    local log="$LOGS/$1.log"
    dotnet test "$2" -c Release --artifacts-path "$ART" --no-build -nologo \
        --logger "console;verbosity=minimal" > "$log" 2>&1
    local rc=$?
    # dotnet test summary: "Passed!  - Failed:     0, Passed:   123, Skipped:     0, Total:   123"
    local line; line=$(grep -E '(Passed|Failed)!  - Failed:' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        tail -n 40 "$log"; record "$1" 0 1; return
    fi
    local f p
    f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line"); p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    [ "$f" -gt 0 ] && grep -E '^\s+Failed |Error Message|Assert' "$log" | head -n 40
    record "$1" "$p" "$f"
}

run_xunit "model unit tests" Extensions/Mmu.Tests/Workbench.Mmu.Tests.csproj
run_xunit "kernel unit tests" Kernel/Workbench.Kernel.Tests/Workbench.Kernel.Tests.csproj
run_xunit "notebook extension tests" Extensions/Mmu.Notebook.Tests/Workbench.Mmu.Notebook.Tests.csproj

# The whole access.c space through the real walker, checked against the independent oracle: without PKU at
# MAXPHYADDR 46 (bit 51 and bit 36 reserved) and 52 (neither), then with PKU on 4- and 5-level paging.
run_sweep() { # label args...
    local label="$1"; shift
    local log="$LOGS/sweep-${label// /-}.log"
    if "$WORKBENCH_CLI" sweep access --quiet "$@" > "$log" 2>&1; then
        grep -E 'cases run|mismatches|cases/s' "$log" | tail -n 3; record "access sweep, $label" 1 0
    else
        tail -n 30 "$log"; record "access sweep, $label" 0 1
    fi
}
echo "== access sweep (kvm-unit-tests access.c flag space)"
run_sweep "no PKU, MAXPHYADDR 46" --maxphyaddr 46
run_sweep "no PKU, MAXPHYADDR 52" --maxphyaddr 52
run_sweep "PKU, 4- and 5-level" --pku --la57
# The same space with KVM building page tables for every case (access.c with ept=0 and ept=1): the shadow MMU and
# the TDP MMU (EPT, NPT); every fault they fix must let the retried access through.
run_sweep "shadow MMU" --tdp none
run_sweep "TDP MMU, EPT" --tdp ept
run_sweep "TDP MMU, NPT" --tdp npt

echo "== CLI tests (compare, explain, naming, run --variant)"
"$PY" -m unittest discover -s tests/cli -p 'test_*.py' > "$LOGS/cli.log" 2>&1
rc=$?
ran=$(grep -E '^Ran [0-9]+ test' "$LOGS/cli.log" | tail -n 1 | sed -E 's/Ran ([0-9]+) .*/\1/'); ran=${ran:-0}
bad=0
for n in $(grep -E '^FAILED \(' "$LOGS/cli.log" | tail -n 1 | grep -oE '(failures|errors)=[0-9]+' | cut -d= -f2); do bad=$((bad + n)); done
[ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
[ "$bad" -gt 0 ] && tail -n 40 "$LOGS/cli.log"
record "CLI tests" $((ran - bad)) "$bad"

echo "== Jupyter protocol tests (kernelspec mmu-workbench; the MMU extension in .NET Interactive)"
if [ -d Kernel/Workbench.Kernel.Tests/python ]; then
    "$PY" -m unittest discover -s Kernel/Workbench.Kernel.Tests/python -p 'test_*.py' > "$LOGS/python.log" 2>&1
    rc=$?
    ran=$(grep -E '^Ran [0-9]+ test' "$LOGS/python.log" | tail -n 1 | sed -E 's/Ran ([0-9]+) .*/\1/')
    ran=${ran:-0}
    bad=0
    for n in $(grep -E '^FAILED \(' "$LOGS/python.log" | tail -n 1 | grep -oE '(failures|errors)=[0-9]+' | cut -d= -f2); do
        bad=$((bad + n))
    done
    skipped=$(grep -E '^(OK|FAILED) \(.*skipped=' "$LOGS/python.log" | grep -oE 'skipped=[0-9]+' | cut -d= -f2)
    bad=${bad:-0}; skipped=${skipped:-0}
    [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
    [ "$bad" -gt 0 ] && tail -n 60 "$LOGS/python.log"
    record "Jupyter protocol tests" $((ran - bad - skipped)) "$bad"
fi

# Every notebook on both hosts: our kernel (reports in out/reports) and .NET Interactive's (the tool is installed into
# out/dotnet-interactive when missing; reports in out/reports/dotnet-interactive). Both load the MMU extension from
# the local feed out/nuget, which the notebooks verb packs when it is missing or stale.
run_notebooks() { # label reports-dir args...
    local label="$1" reports="$2"; shift 2
    local log="$LOGS/notebooks-${label// /-}.log"
    echo "== notebooks on $label (nbclient) + HTML reports in headless Chromium"
    if "$ROOT/workbench" notebooks --out "$reports" "$@" > "$log" 2>&1; then
        tail -n 20 "$log"
        record "notebooks executed on $label" "$(find "$reports" -maxdepth 1 -name '*.html' | wc -l)" 0
    else
        tail -n 60 "$log"; record "notebooks executed on $label" 0 1
    fi
    for html in "$reports"/*.html; do
        [ -f "$html" ] || continue
        if "$PY" "$ROOT/scripts/check_report.py" "$html" >> "$LOGS/chromium.log" 2>&1; then
            record "charts drawn in $label/$(basename "$html")" 1 0
        else
            tail -n 10 "$LOGS/chromium.log"; record "charts drawn in $label/$(basename "$html")" 0 1
        fi
    done
}
run_notebooks "mmu-workbench" "$OUT/reports"
run_notebooks "dotnet-interactive" "$OUT/reports/dotnet-interactive" --kernel dotnet-interactive

echo
[ "${#failures[@]}" -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "logs: $LOGS"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
