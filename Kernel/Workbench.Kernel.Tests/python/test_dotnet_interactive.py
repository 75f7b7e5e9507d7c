"""The MMU extension in the second host, .NET Interactive's Jupyter kernel (tool Microsoft.dotnet-interactive
1.0.712001), loaded exactly as its users load any extension: the two documented lines from a local feed.

The feed is packed into a temporary folder by `workbench-cli pack --out` (a fresh version every time, so NuGet's
package cache cannot serve an older build), and the kernelspec is written by
`workbench-cli kernel install --kernel dotnet-interactive` (which installs the tool into out/ if missing).
"""

import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from jupyter_client.manager import start_new_kernel

import kernel_harness
from kernel_harness import run_cell

DOTNET_INTERACTIVE_KERNEL = "dotnet-interactive-csharp"
NOTEBOOKS = kernel_harness.REPO_ROOT / "notebooks"


def plain_displays(outputs):
    return [m["content"]["data"]["text/plain"] for m in outputs
            if m["msg_type"] == "display_data" and "text/plain" in m["content"]["data"]]


def stream_text(outputs):
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")


def errors(outputs):
    return [m["content"] for m in outputs if m["msg_type"] == "error"]


class DotNetInteractiveHostTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        root = Path(kernel_harness.ensure_kernelspec())
        cls.feed = tempfile.mkdtemp(prefix="mmu-workbench-feed-")
        cli = str(kernel_harness.cli_path())
        packed = subprocess.run([cli, "pack", "--out", cls.feed], capture_output=True, text=True, timeout=600)
        if packed.returncode != 0:
            raise RuntimeError(f"pack failed ({packed.returncode}): {packed.stdout}{packed.stderr}")
        installed = subprocess.run([cli, "kernel", "install", "--kernel", "dotnet-interactive", "--jupyter-path", str(root)],
                                   capture_output=True, text=True, timeout=600)
        if installed.returncode != 0:
            raise RuntimeError(f"kernel install --kernel dotnet-interactive failed: {installed.stdout}{installed.stderr}")
        # Both kernels start in notebooks/, as nbclient starts them for a notebook there.
        cls.di_km, cls.di_kc = start_new_kernel(kernel_name=DOTNET_INTERACTIVE_KERNEL, startup_timeout=120, cwd=str(NOTEBOOKS))
        cls.our_km, cls.our_kc = start_new_kernel(kernel_name=kernel_harness.KERNEL_NAME, startup_timeout=60, cwd=str(NOTEBOOKS))
        cls.load_reply, cls.load_outputs = run_cell(
            cls.di_kc, f'#i "nuget: {cls.feed}"\n#r "nuget: MmuWorkbench"', timeout=300)

    @classmethod
    def tearDownClass(cls):
        for km, kc in ((cls.di_km, cls.di_kc), (cls.our_km, cls.our_kc)):
            kernel_harness.stop_kernel(km, kc)
        shutil.rmtree(cls.feed, ignore_errors=True)

    def assert_same_in_both_hosts(self, cell):
        """Runs the cell in both hosts: it succeeds in both, with the same displays and the same standard output."""
        di_reply, di_outputs = run_cell(self.di_kc, cell, timeout=120)
        our_reply, our_outputs = run_cell(self.our_kc, cell, timeout=120)
        self.assertEqual(di_reply["content"]["status"], "ok", (cell, errors(di_outputs)))
        self.assertEqual(our_reply["content"]["status"], "ok", (cell, errors(our_outputs)))
        self.assertEqual(plain_displays(di_outputs), plain_displays(our_outputs), cell)
        self.assertEqual(stream_text(di_outputs), stream_text(our_outputs), cell)
        return our_outputs

    def test_the_two_documented_lines_load_the_extension_from_the_local_feed(self):
        self.assertEqual(self.load_reply["content"]["status"], "ok", errors(self.load_outputs))
        self.assertTrue(any("Loading extensions from" in text and "Workbench.Mmu.Notebook.DotNetInteractive.dll" in text
                            for text in plain_displays(self.load_outputs)), self.load_outputs)

    def test_mmu_run_gives_the_same_text_as_in_our_kernel(self):
        command = "#!mmu-run first-walk-4level.json --trace"
        di_reply, di_outputs = run_cell(self.di_kc, command, timeout=120)
        our_reply, our_outputs = run_cell(self.our_kc, command, timeout=120)

        self.assertEqual(di_reply["content"]["status"], "ok", errors(di_outputs))
        self.assertEqual(our_reply["content"]["status"], "ok", errors(our_outputs))
        di_text, our_text = plain_displays(di_outputs), plain_displays(our_outputs)
        self.assertEqual(len(our_text), 1, our_outputs)
        self.assertIn("ok gpa 0x200234", our_text[0])
        self.assertEqual(di_text, our_text)

    def test_model_types_are_imported_and_rendered_by_the_extension(self):
        reply, outputs = run_cell(self.di_kc, "new CpuRegisters(0x80010001, 0x1000, 0x20, 0x500, 2, 0)", timeout=120)

        self.assertEqual(reply["content"]["status"], "ok", errors(outputs))
        result = [m["content"]["data"] for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(len(result), 1, outputs)
        self.assertIn('class="mmu', result[0]["text/html"])

    def test_a_bad_file_is_an_error_and_the_session_goes_on(self):
        reply, outputs = run_cell(self.di_kc, "#!mmu-run no-such-experiment.json", timeout=120)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(len(errors(outputs)), 1, outputs)
        self.assertIn("no-such-experiment.json", errors(outputs)[0]["evalue"])

        reply, outputs = run_cell(self.di_kc, "#!mmu-run -h", timeout=120)
        self.assertEqual(reply["content"]["status"], "ok", errors(outputs))
        self.assertIn("usage: #!mmu-run", "".join(m["content"].get("text", "") for m in outputs))

    def test_building_commands_give_the_same_text_in_both_hosts(self):
        """guest -> nested -> map -> access, then a fault: the same commands, the same renderings, in both hosts."""
        cells = [
            "#!mmu-guest --name both --paging 4level --wp --nx",
            "#!mmu-nested --kind vmx --l1-tdp on --paging 4level --wp",
            "#!mmu-map --gva 0x401000 --gpa 0x1234000 --flags r,w,u",
            "#!mmu-access 0x401234 --write --cpl 3",
            "#!mmu-fault --kind ept-violation",
        ]
        for cell in cells:
            self.assert_same_in_both_hosts(cell)

    def test_a_naming_scheme_renames_the_same_way_in_both_hosts(self):
        """#!mmu-naming --scheme, then an access: the same renamed text in both hosts (one session-wide setting each)."""
        cells = [
            "#!mmu-guest --name named --tdp ept --wp",
            "#!mmu-nested --kind vmx --l1-tdp off --wp",
            "#!mmu-map --gva 0x401000 --gpa 0x200000",
            "#!mmu-naming --scheme walk01-walk12",
            "#!mmu-access 0x401234 --no-chart",
        ]
        try:
            for cell in cells:
                our_outputs = self.assert_same_in_both_hosts(cell)
            # L1 shadows L2: the walker serving L2 is root_mmu's walking half, walk01 in this scheme.
            self.assertIn("served: faults by root_mmu, walked by walk01, guest_mode 1", plain_displays(our_outputs)[0])
        finally:
            for kc in (self.di_kc, self.our_kc):
                run_cell(kc, "#!mmu-naming --scheme none", timeout=120)

    def test_bad_building_input_is_one_error_naming_the_parameter(self):
        reply, outputs = run_cell(self.di_kc, "#!mmu-guest --name bad --paging 6level", timeout=120)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(len(errors(outputs)), 1, outputs)
        self.assertIn("--paging: '6level' is not one of", errors(outputs)[0]["evalue"])

        reply, outputs = run_cell(self.di_kc, "#!mmu-map -h", timeout=120)
        self.assertEqual(reply["content"]["status"], "ok", errors(outputs))
        self.assertIn("--tdp-tables", "".join(m["content"].get("text", "") for m in outputs))

    def test_the_kernelspec_serves_http_on_loopback_only(self):
        spec = (Path(kernel_harness.ensure_kernelspec()) / "kernels" / DOTNET_INTERACTIVE_KERNEL / "kernel.json").read_text()
        self.assertIn('"--http-local-only"', spec)


if __name__ == "__main__":
    unittest.main()
