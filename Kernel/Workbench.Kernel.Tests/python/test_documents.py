"""`workbench-cli convert`: .dib (Polyglot Notebooks) <-> .ipynb with .NET Interactive's document library.

Round trips must keep every cell's kind and text; bad arguments are one clear error naming what is wrong.
"""

import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import kernel_harness

NOTEBOOKS = kernel_harness.REPO_ROOT / "notebooks"


def convert(*args):
    return subprocess.run([str(kernel_harness.cli_path()), "convert", *args], capture_output=True, text=True, timeout=120)


def cells(ipynb_path):
    notebook = json.loads(Path(ipynb_path).read_text())
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"]) for c in notebook["cells"]]


class ConvertTests(unittest.TestCase):
    def setUp(self):
        self.root = Path(tempfile.mkdtemp(prefix="workbench-convert-"))

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run_ok(self, *args):
        result = convert(*args)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_ipynb_to_dib_and_back_keeps_every_cell(self):
        original = NOTEBOOKS / "01-first-walk.ipynb"
        self.run_ok(str(original), str(self.root / "walk.dib"))
        self.run_ok(str(self.root / "walk.dib"), str(self.root / "walk.ipynb"))

        dib = (self.root / "walk.dib").read_text()
        self.assertIn("#!csharp\n\n#!mmu-load\n", dib)
        self.assertIn("#!markdown\n\n# 01 · First walk and first fault\n", dib)
        self.assertEqual(cells(self.root / "walk.ipynb"), cells(original))
        spec = json.loads((self.root / "walk.ipynb").read_text())["metadata"]["kernelspec"]
        self.assertEqual(spec["name"], "mmu-workbench")

    def test_dib_to_ipynb_and_back_keeps_every_cell(self):
        self.run_ok(str(NOTEBOOKS / "08-paging-modes.dib"), str(self.root / "modes.ipynb"), "--kernel", "dotnet-interactive")
        self.run_ok(str(self.root / "modes.ipynb"), str(self.root / "modes.dib"))
        self.run_ok(str(self.root / "modes.dib"), str(self.root / "again.ipynb"))

        first = cells(self.root / "modes.ipynb")
        self.assertEqual([kind for kind, _ in first][:3], ["markdown", "code", "markdown"])
        self.assertTrue(first[1][1].startswith('#i "nuget: ../out/nuget"'))
        self.assertEqual(cells(self.root / "again.ipynb"), first)
        spec = json.loads((self.root / "modes.ipynb").read_text())["metadata"]["kernelspec"]
        self.assertEqual(spec["name"], "dotnet-interactive-csharp")

    def test_bad_arguments_are_one_clear_error(self):
        for args, message in [
            (["a.dib"], "convert: Required argument missing"),
            (["a.txt", "b.ipynb"], "converts .dib to .ipynb or .ipynb to .dib"),
            ([str(self.root / "missing.dib"), str(self.root / "x.ipynb")], "no such file"),
            (["a.dib", "b.ipynb", "--kernel", "nope"], "convert: Argument 'nope' not recognized"),
        ]:
            with self.subTest(args=args):
                result = convert(*args)
                self.assertEqual(result.returncode, 2)
                self.assertIn(message, result.stderr)

    def test_an_unreadable_ipynb_is_an_error_not_a_crash(self):
        (self.root / "broken.ipynb").write_text("{ not json")
        result = convert(str(self.root / "broken.ipynb"), str(self.root / "broken.dib"))
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("is not a readable .ipynb notebook", result.stderr)
        self.assertFalse((self.root / "broken.dib").exists())


if __name__ == "__main__":
    unittest.main()
