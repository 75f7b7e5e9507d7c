"""End-to-end tests of `./workbench sweep access --jobs` and `./workbench sweep merge` (run by scripts/test.sh)."""
import os
import re
import subprocess
import tempfile
import unittest

CLI = os.environ.get("WORKBENCH_CLI", os.path.join(os.path.dirname(__file__), "..", "..", "out", "cli", "workbench-cli"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(*args):
    return subprocess.run([CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def counts(text):
    """The summary's count lines ("  cases run    1,234"), as numbers."""
    return {m.group(1): int(m.group(2).replace(",", ""))
            for m in re.finditer(r"^  (legal cases|planned|cases run|mismatches) +([0-9,]+)$", text, re.M)}


class SweepJobsTests(unittest.TestCase):
    def test_two_jobs_count_what_one_job_counts(self):
        args = ["sweep", "access", "--quiet", "--maxphyaddr", "52", "--shard", "1/3", "--limit", "50000"]
        one = run(*args, "--jobs", "1")
        two = run(*args, "--jobs", "2")
        self.assertEqual((one.returncode, two.returncode), (0, 0), one.stderr + two.stderr)
        self.assertEqual(counts(one.stdout), counts(two.stdout))
        self.assertEqual(counts(two.stdout)["cases run"], 50000)
        self.assertRegex(two.stdout, r"(?m)^  jobs +2$")

    def test_a_job_count_below_one_is_one_clear_error(self):
        done = run("sweep", "access", "--jobs", "0")
        self.assertEqual(done.returncode, 2)
        self.assertIn("--jobs wants a positive number, not 0", done.stderr)


class SweepMergeTests(unittest.TestCase):
    def test_shards_merge_to_the_whole_space(self):
        with tempfile.TemporaryDirectory() as folder:
            files = []
            for k in range(3):
                done = run("sweep", "access", "--quiet", "--maxphyaddr", "52", "--jobs", "1", "--shard", f"{k}/3")
                self.assertEqual(done.returncode, 0, done.stderr)
                files.append(os.path.join(folder, f"shard-{k}.txt"))
                with open(files[-1], "w") as out:
                    out.write(done.stdout + done.stderr)
            merged = run("sweep", "merge", *files)
        self.assertEqual(merged.returncode, 0, merged.stderr)
        self.assertEqual(counts(merged.stdout), {"legal cases": 933888, "cases run": 933888, "mismatches": 0})

    def test_the_first_mismatch_is_the_smallest_failing_flag_word(self):
        summary = ("access sweep: 4-level paging, MAXPHYADDR 46, no PKU, shard {k}/2, walks only\n"
                   "  legal cases       1,916,928\n  planned             958,464\n  cases run              {run}\n"
                   "  mismatches                1\n  time                  0.100 s\n"
                   "report {word}\nworkbench sweep access: FAILED at case 0x{word} [pte.p]: reason\n")
        with tempfile.TemporaryDirectory() as folder:
            files = []
            for k, (run_count, word) in enumerate([(700, "00800421"), (900, "00000421")]):
                files.append(os.path.join(folder, f"shard-{k}.txt"))
                with open(files[-1], "w") as out:
                    out.write(summary.format(k=k, run=run_count, word=word))
            merged = run("sweep", "merge", *files)
        self.assertEqual(merged.returncode, 1)
        self.assertIn("first mismatch in enumeration order: case 0x00000421, from " + files[1], merged.stdout)
        # The merged counts come first; the failing shard's own output follows them.
        self.assertEqual(counts(merged.stdout.split("first mismatch")[0])["cases run"], 1600)


if __name__ == "__main__":
    unittest.main()
