"""`workbench-cli kernel install`: what the kernelspec says and where it goes.

See kernel_harness.py for how to run these and the WORKBENCH_CLI variable.
"""

import json
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

import kernel_harness


def install(*args, env=None):
    result = subprocess.run([str(kernel_harness.cli_path()), "kernel", "install", *args],
                            capture_output=True, text=True, timeout=120, env=env)
    return result


class KernelSpecTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mmu-kernelspec-test-")
        self.addCleanup(self.tmp.cleanup)
        self.root = Path(self.tmp.name)

    def test_jupyter_path_install_is_found_by_jupyter_client(self):
        result = install("--jupyter-path", str(self.root))
        self.assertEqual(result.returncode, 0, result.stderr)
        manager = KernelSpecManager(kernel_dirs=[str(self.root / "kernels")])
        spec = manager.get_kernel_spec(kernel_harness.KERNEL_NAME)
        self.assertEqual(spec.display_name, "C# (MMU Workbench)")
        self.assertEqual(spec.language, "C#")
        self.assertEqual(spec.interrupt_mode, "message")

    def test_argv_runs_this_cli_with_absolute_paths(self):
        install("--jupyter-path", str(self.root))
        spec = json.loads((self.root / "kernels" / "mmu-workbench" / "kernel.json").read_text())
        argv = spec["argv"]
        cli = kernel_harness.cli_path().resolve()
        self.assertEqual(Path(argv[0]).resolve(), cli)
        self.assertEqual(argv[1:5], ["kernel", "start", "--connection-file", "{connection_file}"])
        # The published CLI carries the MMU extension's adapter for this kernel; the spec must preload it.
        extension = cli.parent / "Workbench.Mmu.Notebook.Workbench.dll"
        self.assertTrue(extension.is_file(), extension)
        self.assertEqual(argv[5:], ["--extension", str(extension)])
        for path in [argv[0]] + argv[6:]:
            self.assertTrue(os.path.isabs(path), path)

    def test_prefix_install(self):
        result = install("--prefix", str(self.root))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue((self.root / "share" / "jupyter" / "kernels" / "mmu-workbench" / "kernel.json").is_file())

    def test_user_install_honours_jupyter_data_dir(self):
        env = dict(os.environ, JUPYTER_DATA_DIR=str(self.root / "data"))
        result = install("--user", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue((self.root / "data" / "kernels" / "mmu-workbench" / "kernel.json").is_file())

    def test_bad_arguments_fail(self):
        self.assertEqual(install("--bogus").returncode, 2)
        self.assertEqual(install("--prefix").returncode, 2)

    def test_start_without_connection_file_fails(self):
        result = subprocess.run([str(kernel_harness.cli_path()), "kernel", "start"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--connection-file", result.stderr)

    def test_start_with_unreadable_connection_file_fails(self):
        bad = self.root / "bad.json"
        bad.write_text('{"shell_port": "x"}')
        result = subprocess.run([str(kernel_harness.cli_path()), "kernel", "start", "--connection-file", str(bad)],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1)
        self.assertIn("shell_port", result.stderr)


if __name__ == "__main__":
    unittest.main()
