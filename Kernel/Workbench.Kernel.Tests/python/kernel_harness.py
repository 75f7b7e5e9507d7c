"""Shared set-up for the protocol tests of the mmu-workbench Jupyter kernel.

Run (after building the CLI):

    /usr/bin/python3 -m unittest discover -s Kernel/Workbench.Kernel.Tests/python -v

Environment:
    WORKBENCH_CLI   path of the built CLI executable (the kernel). Default:
                    <repo>/out/cli/workbench-cli (what ./workbench publishes)
                    (what ./workbench builds). With an isolated build use e.g.
                    WORKBENCH_CLI=/tmp/art/bin/Workbench.Cli/release/workbench-cli

Debian's /usr/bin/python3 is required: it has jupyter_client, jupyter_kernel_test, nbclient and pyzmq.
The kernelspec is installed with `workbench-cli kernel install --jupyter-path DIR` into a temporary directory
that is put first on JUPYTER_PATH, so nothing is written to the user's Jupyter directories.
"""

import atexit
import os
import queue
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

KERNEL_NAME = "mmu-workbench"
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CLI = REPO_ROOT / "out" / "cli" / "workbench-cli"

_spec_root = None


def cli_path():
    """The CLI binary under test; a missing binary is an error, not a skip."""
    path = Path(os.environ.get("WORKBENCH_CLI") or DEFAULT_CLI)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise RuntimeError(
            f"kernel binary not found at {path}: build the CLI first "
            "(./workbench help, or dotnet build Cli/Workbench.Cli -c Release) or set WORKBENCH_CLI")
    return path


def ensure_kernelspec():
    """Installs the kernelspec into a private JUPYTER_PATH once per test process; returns that directory."""
    global _spec_root
    if _spec_root is not None:
        return _spec_root

    root = tempfile.mkdtemp(prefix="mmu-workbench-jupyter-")
    atexit.register(shutil.rmtree, root, True)
    result = subprocess.run(
        [str(cli_path()), "kernel", "install", "--jupyter-path", root],
        capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"kernel install failed ({result.returncode}): {result.stderr}")

    os.environ["JUPYTER_PATH"] = root + (os.pathsep + os.environ["JUPYTER_PATH"] if os.environ.get("JUPYTER_PATH") else "")
    runtime = os.path.join(root, "runtime")
    os.makedirs(runtime, exist_ok=True)
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    _spec_root = root
    return root


def start_kernel(startup_timeout=60):
    """Starts the kernel through jupyter_client exactly as Jupyter would; returns (manager, blocking client)."""
    ensure_kernelspec()
    return start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=startup_timeout)


def stop_kernel(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def drain_iopub(kc, quiet_seconds=0.2):
    """Discards iopub messages until the channel has been quiet for quiet_seconds; returns what was read."""
    drained = []
    while True:
        try:
            drained.append(kc.get_iopub_msg(timeout=quiet_seconds))
        except queue.Empty:
            return drained


def wait_reply(kc, msg_id, timeout=30, channel="shell"):
    """The reply to msg_id on shell (or control), skipping replies to other requests."""
    get = kc.get_shell_msg if channel == "shell" else kc.get_control_msg
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no reply to {msg_id} within {timeout}s")
        msg = get(timeout=remaining)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def collect_outputs(kc, msg_id, timeout=30):
    """iopub messages of request msg_id from its busy status up to its idle status (both excluded)."""
    outputs = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no idle status for {msg_id} within {timeout}s")
        msg = kc.get_iopub_msg(timeout=remaining)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                return outputs
            continue
        outputs.append(msg)


def run_cell(kc, code, timeout=30, **kwargs):
    """Executes code; returns (execute_reply, iopub outputs excluding status and execute_input)."""
    msg_id = kc.execute(code, **kwargs)
    reply = wait_reply(kc, msg_id, timeout)
    outputs = [m for m in collect_outputs(kc, msg_id, timeout) if m["msg_type"] != "execute_input"]
    return reply, outputs


def stdout_text(outputs):
    return "".join(m["content"]["text"] for m in outputs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


def kernel_pid(km):
    """The kernel process id (jupyter_client 7 keeps it on the provisioner)."""
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None) or getattr(km, "kernel", None)
    return process.pid
