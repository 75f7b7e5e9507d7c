"""Start-up and memory of the two notebook hosts side by side, in one run (no test_ prefix: not a unit test).

    /usr/bin/python3 Kernel/Workbench.Kernel.Tests/python/bench_hosts.py [--starts 3] [--cells 200] [--markdown FILE]

    ./workbench bench-hosts   (the same, writing docs/notebook-hosts-benchmark.md)

Kernels, both through jupyter_client exactly as Jupyter starts them, in the notebooks/ folder:
  mmu-workbench              ours, with the MMU extension preloaded (what ./workbench notebooks uses)
  dotnet-interactive-csharp  .NET Interactive 1.0.712001 (installed into out/ if missing), C# by default

Figures (medians over --starts fresh kernels where it says so):
  ready          process launch -> first kernel_info_reply                                     (median of starts)
  first result   ready -> idle after the first cell `1 + 1` (its execute_result included)     (median of starts)
  round trip     execute_request -> execute_reply + idle of `var x = 1;`, median of 100 after 5 warm-up cells
  RSS            kernel resident memory after --cells trivial cells (VmRSS of the kernel process)
  cpu            user+system CPU seconds of the kernel process up to the first result     (median of starts)
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
from pathlib import Path

import kernel_harness
from bench_kernel import cold_start, round_trip, rss_mib

DOTNET_INTERACTIVE_KERNEL = "dotnet-interactive-csharp"
NOTEBOOKS = str(kernel_harness.REPO_ROOT / "notebooks")


def install_dotnet_interactive():
    root = kernel_harness.ensure_kernelspec()
    result = subprocess.run([str(kernel_harness.cli_path()), "kernel", "install", "--kernel", "dotnet-interactive", "--jupyter-path", root],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"installing .NET Interactive's kernelspec failed: {result.stdout}{result.stderr}")


def measure(kernel_name, starts, cells):
    readies, firsts, cpus = [], [], []
    for attempt in range(starts):
        ready, first, cpu, km, kc = cold_start(kernel_name, "1 + 1", NOTEBOOKS)
        readies.append(ready)
        firsts.append(first)
        cpus.append(cpu)
        if attempt < starts - 1:
            kernel_harness.stop_kernel(km, kc)
    pid = kernel_harness.kernel_pid(km)
    for _ in range(5):
        round_trip(kc, "var x = 1;")
    trips = [round_trip(kc, "var x = 1;") for _ in range(100)]
    for i in range(max(0, cells - 105 - 1)):
        round_trip(kc, f"var v = {i} * 2;")
    rss = rss_mib(pid)
    kernel_harness.stop_kernel(km, kc)
    return {
        "ready_s": statistics.median(readies),
        "first_result_s": statistics.median(firsts),
        "ready_plus_first_s": statistics.median(r + f for r, f in zip(readies, firsts)),
        "cpu_to_first_result_s": statistics.median(cpus),
        "round_trip_ms": statistics.median(trips) * 1000,
        "rss_mib": rss,
    }


def markdown(results, starts, cells):
    lines = [
        "# Notebook hosts side by side: start-up and memory",
        "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by "
        "`Kernel/Workbench.Kernel.Tests/python/bench_hosts.py` (`./workbench bench-hosts`), both kernels in one run, "
        f"through jupyter_client as Jupyter starts them, on a {os.cpu_count()}-core machine "
        f"(1-minute load average at the end: {os.getloadavg()[0]:.2f}; the machine is shared, so read ratios).",
        "",
        f"| kernel | ready | first result | ready + first result | CPU to first result | round trip (median of 100) | RSS after {cells} cells |",
        "|---|---|---|---|---|---|---|",
    ]
    names = {
        kernel_harness.KERNEL_NAME: "ours (`mmu-workbench`, MMU extension preloaded)",
        DOTNET_INTERACTIVE_KERNEL: ".NET Interactive 1.0.712001 (`dotnet-interactive-csharp`)",
    }
    for kernel, r in results.items():
        lines.append(f"| {names[kernel]} | {r['ready_s']:.2f} s | {r['first_result_s']:.2f} s | {r['ready_plus_first_s']:.2f} s "
                     f"| {r['cpu_to_first_result_s']:.2f} s | {r['round_trip_ms']:.1f} ms | {r['rss_mib']:.0f} MiB |")
    lines += [
        "",
        f"ready: launch to the first kernel_info_reply; first result: then the first cell `1 + 1` until idle (medians of "
        f"{starts} fresh kernels each). Round trip: `var x = 1;`, execute_request to execute_reply and idle, after 5 "
        f"warm-up cells. RSS: VmRSS of the kernel process after {cells} trivial cells. .NET Interactive runs without "
        "the MMU extension here (loading it is a NuGet restore, seconds, not start-up); ours has it preloaded.",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    kernel_harness.ensure_kernelspec()
    install_dotnet_interactive()

    results = {}
    for kernel in (kernel_harness.KERNEL_NAME, DOTNET_INTERACTIVE_KERNEL):
        results[kernel] = measure(kernel, args.starts, args.cells)
    table = markdown(results, args.starts, args.cells)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table)
    ours, theirs = results[kernel_harness.KERNEL_NAME], results[DOTNET_INTERACTIVE_KERNEL]
    ahead = (ours["ready_plus_first_s"] < theirs["ready_plus_first_s"] and ours["round_trip_ms"] < theirs["round_trip_ms"]
             and ours["rss_mib"] < theirs["rss_mib"])
    print("ours is ahead on start-up, round trip and memory" if ahead else "ours is NOT ahead on every figure")
    return 0 if ahead else 1


if __name__ == "__main__":
    sys.exit(main())
