#!/usr/bin/python3
"""Checks that every Plotly chart in HTML reports is drawn, using Debian's headless Chromium.

usage: /usr/bin/python3 scripts/check_report.py [--min-charts N] REPORT.html [...]

Each report is opened from file:// with networking features off (charts embed plotly.js, so nothing is
fetched). A chart counts as drawn when its div (class "workbench-plotly", written by Workbench.Charts)
contains plotly's <svg class="main-svg">. Exit status 0 when every chart of every report is drawn and
each report has at least --min-charts charts (default 1), 1 otherwise, 2 for usage errors.
"""

import argparse
import html.parser
import os
import shutil
import subprocess
import sys
import tempfile

CHART_CLASS = "workbench-plotly"
MISSING_CLASS = "workbench-plotly-missing"

# Void elements never get an end tag, so they must not be pushed on the open-element stack.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class ChartScanner(html.parser.HTMLParser):
    """Finds chart divs in a dumped DOM and whether an svg.main-svg appears inside each."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []          # open tags; each entry is (tag, chart index or None)
        self.charts = []         # per chart: {"id": ..., "drawn": bool}
        self.missing_notes = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        chart = None
        if tag == "div" and CHART_CLASS in classes:
            chart = len(self.charts)
            self.charts.append({"id": attributes.get("id", "?"), "drawn": False})
        if tag == "div" and MISSING_CLASS in classes:
            self.missing_notes += 1
        if tag == "svg" and "main-svg" in classes:
            for _, open_chart in reversed(self.stack):
                if open_chart is not None:
                    self.charts[open_chart]["drawn"] = True
                    break
        if tag not in VOID:
            self.stack.append((tag, chart))

    def handle_startendtag(self, tag, attrs):
        # Treated as start + immediate end, so nothing stays on the stack.
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        # Pop up to the matching element; a stray end tag (no match) is ignored as browsers do.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return


def find_chromium():
    for name in (os.environ.get("WORKBENCH_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def dump_dom(chromium, path, budget_ms, timeout_s):
    profile = tempfile.mkdtemp(prefix="wb-chromium-")
    try:
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions", "--mute-audio",
            "--user-data-dir=" + profile, "--virtual-time-budget=%d" % budget_ms,
            "--dump-dom", "file://" + os.path.abspath(path),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        if result.returncode != 0 or not result.stdout.strip():
            tail = "\n".join(result.stderr.strip().splitlines()[-5:])
            raise RuntimeError("chromium exited with %d and no DOM:\n%s" % (result.returncode, tail))
        return result.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description="Check that Plotly charts in HTML reports are drawn (headless Chromium).")
    parser.add_argument("reports", nargs="+", help="HTML report files")
    parser.add_argument("--min-charts", type=int, default=1, help="fail a report with fewer charts (default 1)")
    parser.add_argument("--budget-ms", type=int, default=10000, help="Chromium virtual time budget")
    parser.add_argument("--timeout", type=int, default=180, help="seconds before giving up on Chromium")
    args = parser.parse_args()

    chromium = find_chromium()
    if chromium is None:
        print("check-report: chromium not found (./workbench setup installs Debian's chromium)", file=sys.stderr)
        return 1

    failed = False
    total_drawn = 0
    total_charts = 0
    for report in args.reports:
        if not os.path.isfile(report):
            print("check-report: %s: no such file" % report, file=sys.stderr)
            failed = True
            continue
        try:
            dom = dump_dom(chromium, report, args.budget_ms, args.timeout)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            print("check-report: %s: FAILED: %s" % (report, error))
            failed = True
            continue

        scanner = ChartScanner()
        scanner.feed(dom)
        scanner.close()
        drawn = [c for c in scanner.charts if c["drawn"]]
        blank = [c for c in scanner.charts if not c["drawn"]]
        total_drawn += len(drawn)
        total_charts += len(scanner.charts)
        ok = not blank and len(scanner.charts) >= args.min_charts
        print("check-report: %s: %d of %d charts drawn%s -- %s" % (
            report, len(drawn), len(scanner.charts),
            " (%d 'plotly.js missing' notes)" % scanner.missing_notes if scanner.missing_notes else "",
            "OK" if ok else "FAILED"))
        for chart in blank:
            print("check-report:   not drawn: div#%s" % chart["id"])
        if len(scanner.charts) < args.min_charts:
            print("check-report:   expected at least %d chart(s)" % args.min_charts)
        failed = failed or not ok

    print("check-report: %d of %d charts drawn in %d report(s): %s" % (
        total_drawn, total_charts, len(args.reports), "FAILED" if failed else "OK"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
