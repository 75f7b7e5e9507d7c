"""The ./workbench verbs on System.CommandLine: one error line naming the verb and the problem, help on stderr,
exit 2, never a crash; -h prints help and exits 0."""

import subprocess
import unittest

import kernel_harness


def cli(*args):
    return subprocess.run([str(kernel_harness.cli_path()), *args], capture_output=True, text=True, timeout=60)


class CliArgumentTests(unittest.TestCase):
    def test_bad_arguments_are_one_clear_error_and_exit_2(self):
        for args, first_line in [
            (["notebooks", "--timeout", "abc"], "notebooks: Cannot parse argument 'abc' for option '--timeout' as expected type 'System.Int32'."),
            (["notebooks", "--timeout", "0"], "notebooks: --timeout wants a positive number, not 0."),
            (["notebooks", "--kernel", "nope"], "notebooks: Argument 'nope' not recognized. Must be one of:"),
            (["kernel"], "kernel: Required command was not provided."),
            (["kernel", "install", "--prefix"], "kernel install: Required argument missing for option: '--prefix'."),
            (["kernel", "install", "--user", "--jupyter-path", "/tmp/x"], "kernel install: choose one of --user, --prefix and --jupyter-path."),
            (["kernel", "start"], "kernel start: --connection-file is required."),
            (["pack", "--bogus"], "pack: Unrecognized command or argument '--bogus'."),
            (["bench-hosts", "--cells", "-1"], "bench-hosts: --cells wants a positive number, not -1."),
            (["sweep"], "sweep: Required command was not provided."),
            (["sweep", "access", "--shard", "5/2"], "sweep access: --shard '5/2': need 0 <= K < N"),
            (["sweep", "access", "--maxphyaddr", "60"], "sweep access: --maxphyaddr needs a number in 36..52 (46 and 52 are the interesting ones)."),
            (["sweep", "access", "--limit", "-1"], "sweep access: --limit needs a non-negative number of cases."),
            (["bench", "--walks", "10"], "bench: --walks needs a number of at least 1000."),
            (["compare", "--variants", "6.12,6.13"], "compare: unknown variant '6.13' (registered: 2010, 6.12, broken-cpuid-role, broken-nested-wp, chainsaw-v1, chainsaw-v2)."),
            (["explain", "--variants", "6.12"], "explain: --variants needs exactly 2 names, e.g. --variants 6.12,broken-nested-wp."),
            (["bench-mmu", "--gib", "0"], "bench-mmu: --gib needs a number in 1..256, not 0."),
        ]:
            with self.subTest(args=args):
                result = cli(*args)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertEqual(result.stderr.splitlines()[0], first_line)
                self.assertIn("Usage:", result.stderr)
                self.assertNotIn("Unhandled exception", result.stderr)

    def test_help_is_uniform(self):
        for verb in (["notebooks"], ["pack"], ["convert"], ["bench-hosts"], ["kernel", "install"], ["kernel", "start"],
                     ["sweep", "access"], ["bench"], ["compare"], ["explain"], ["naming"], ["bench-mmu"]):
            with self.subTest(verb=verb):
                result = cli(*verb, "--help")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("Usage:", result.stdout)
                self.assertIn("-h, --help", result.stdout)


if __name__ == "__main__":
    unittest.main()
