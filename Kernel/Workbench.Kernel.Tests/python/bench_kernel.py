"""Measures the mmu-workbench kernel as Jupyter sees it (not part of the unittest discovery: no test_ prefix).

    /usr/bin/python3 Kernel/Workbench.Kernel.Tests/python/bench_kernel.py [--cells 1000] [--json]

Environment: WORKBENCH_CLI names the built CLI (see kernel_harness.py).

Reports:
  cold start        process launch -> first kernel_info_reply (median over --starts fresh kernels)
  first cell        kernel_info_reply -> idle of the first cell (Console.WriteLine), same kernels
  start+first cell  the sum: what a user waits for after opening a notebook and running a cell
  trivial cell      round trip of `var x = 1;` (execute_request -> execute_reply + idle), median of 50
  magic             round trip of `#!lsmagic`, median of 20
  rss               kernel resident memory after warm-up, after 100 and after --cells cells
  *_cpu_*           CPU time the kernel process itself used (user+system, from /proc): on a busy machine
                    wall-clock figures stretch with the load, CPU time much less so
"""

import argparse
import json
import os
import statistics
import sys
import time

from jupyter_client.manager import KernelManager

import kernel_harness
from kernel_harness import collect_outputs, wait_reply


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def cpu_seconds(pid):
    """User + system CPU time of a process (all threads) from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def round_trip(kc, code):
    started = time.perf_counter()
    msg_id = kc.execute(code)
    reply = wait_reply(kc, msg_id, timeout=60)
    collect_outputs(kc, msg_id, timeout=60)
    elapsed = time.perf_counter() - started
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content']}")
    return elapsed


def cold_start(kernel_name=kernel_harness.KERNEL_NAME, first_code='Console.WriteLine("first cell");', cwd=None):
    """One fresh kernel: (start seconds, first cell seconds, CPU seconds so far, manager, client)."""
    km = KernelManager(kernel_name=kernel_name)
    started = time.perf_counter()
    km.start_kernel(**({"cwd": cwd} if cwd else {}))
    kc = km.client()
    kc.start_channels()
    # DEALER sockets queue the request until the kernel binds, so one request measures readiness exactly.
    msg_id = kc.kernel_info()
    wait_reply(kc, msg_id, timeout=120)
    ready = time.perf_counter()
    first = round_trip(kc, first_code)
    return ready - started, first, cpu_seconds(kernel_harness.kernel_pid(km)), km, kc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    kernel_harness.ensure_kernelspec()

    starts, firsts, start_cpus = [], [], []
    km = kc = None
    for attempt in range(args.starts):
        start, first, start_cpu, km, kc = cold_start()
        starts.append(start)
        firsts.append(first)
        start_cpus.append(start_cpu)
        if attempt < args.starts - 1:
            kernel_harness.stop_kernel(km, kc)

    pid = kernel_harness.kernel_pid(km)
    for _ in range(5):
        round_trip(kc, "var x = 1;")
    cpu_before = cpu_seconds(pid)
    trivial = [round_trip(kc, "var x = 1;") for _ in range(50)]
    trivial_cpu = (cpu_seconds(pid) - cpu_before) / 50
    cpu_before = cpu_seconds(pid)
    magic = [round_trip(kc, "#!lsmagic") for _ in range(20)]
    magic_cpu = (cpu_seconds(pid) - cpu_before) / 20

    rss_warm = rss_mib(pid)
    for _ in range(100):
        round_trip(kc, "var x = 1;")
    rss_100 = rss_mib(pid)
    loop_started = time.perf_counter()
    for i in range(max(0, args.cells - 100)):
        round_trip(kc, f"var v = {i} * 2;")
    loop_seconds = time.perf_counter() - loop_started
    rss_n = rss_mib(pid)
    kernel_harness.stop_kernel(km, kc)

    result = {
        "cold_start_s": statistics.median(starts),
        "first_cell_s": statistics.median(firsts),
        "start_plus_first_cell_s": statistics.median(s + f for s, f in zip(starts, firsts)),
        "start_plus_first_cell_cpu_s": statistics.median(start_cpus),
        "trivial_cell_ms": statistics.median(trivial) * 1000,
        "trivial_cell_cpu_ms": trivial_cpu * 1000,
        "trivial_cell_p90_ms": sorted(trivial)[int(len(trivial) * 0.9)] * 1000,
        "magic_lsmagic_ms": statistics.median(magic) * 1000,
        "magic_lsmagic_cpu_ms": magic_cpu * 1000,
        "load_average_1min": os.getloadavg()[0],
        "rss_after_warmup_mib": rss_warm,
        "rss_after_100_cells_mib": rss_100,
        f"rss_after_{args.cells}_cells_mib": rss_n,
        "mean_cell_ms_in_long_run": loop_seconds * 1000 / max(1, args.cells - 100),
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        for name, value in result.items():
            print(f"{name:32} {value:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
