"""End-to-end tests of the ./workbench verbs whose output formats other tools read (run by scripts/test.sh).

WORKBENCH_CLI points at the published CLI (out/cli/workbench-cli)."""
import json
import os
import subprocess
import unittest

CLI = os.environ.get("WORKBENCH_CLI", os.path.join(os.path.dirname(__file__), "..", "..", "out", "cli", "workbench-cli"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(*args, check=True):
    done = subprocess.run([CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"{args}: exit {done.returncode}\n{done.stderr}")
    return done


class CompareTests(unittest.TestCase):
    def test_list_prints_one_variant_per_line(self):
        names = run("compare", "--list").stdout.split()
        for name in ["2010", "6.12", "chainsaw-v1", "chainsaw-v2", "broken-nested-wp", "broken-cpuid-role"]:
            self.assertIn(name, names)

    def test_json_ends_with_the_summary_counted_against_the_first_variant(self):
        lines = run("compare", "--variants", "6.12,chainsaw-v2,broken-nested-wp", "--json").stdout.strip().splitlines()
        summary = json.loads(lines[-1])["summary"]
        self.assertEqual(summary["variants"], ["6.12", "chainsaw-v2", "broken-nested-wp"])
        self.assertEqual(summary["divergent"], {"chainsaw-v2": 0, "broken-nested-wp": 8})
        self.assertEqual(summary["cases"], 54)
        divergent = [json.loads(line) for line in lines[:-1]]
        self.assertEqual(len(divergent), 8)
        self.assertTrue(all(d["variant"] == "broken-nested-wp" for d in divergent))

    def test_an_unknown_variant_is_one_clear_error(self):
        done = run("compare", "--variants", "6.12,6.13", check=False)
        self.assertEqual(done.returncode, 2)
        self.assertIn("unknown variant '6.13'", done.stderr)


class ExplainTests(unittest.TestCase):
    def test_json_ends_with_rule_accuracy_and_support(self):
        last = json.loads(run("explain", "--variants", "6.12,broken-cpuid-role", "--json").stdout.strip().splitlines()[-1])
        self.assertEqual(last, {"rule": "cpuid_change && paging_levels > 2.5", "accuracy": 1.0, "support": 14})


class NamingTests(unittest.TestCase):
    def test_json_has_one_line_per_checked_claim_with_its_reason(self):
        rows = [json.loads(line) for line in run("naming", "--compare", "--json").stdout.strip().splitlines()]
        self.assertGreater(len(rows), 300)
        for row in rows:
            self.assertEqual(set(row), {"scheme", "object", "name", "claim", "scenario", "holds", "why"})
        guest = [r for r in rows if r["scheme"] == "upstream-6.12" and r["name"] == "guest_mmu" and not r["holds"]]
        self.assertEqual({r["scenario"] for r in guest}, {"L2, L1 shadows L2, L0 TDP", "L2, L1 shadows L2, L0 shadow"})


class RunVariantTests(unittest.TestCase):
    def test_the_same_experiment_names_each_variants_objects(self):
        path = "datasets/experiments/nested-ept-2d.trace.json"
        walks = {}
        for variant in ["6.12", "2010", "chainsaw-v2"]:
            result = json.loads(run("run", "--json", "--trace", "--variant", variant, path).stdout)
            walks[variant] = result["steps"][0]["contexts"]["walk"]
            self.assertEqual(result["steps"][0]["gpa"], "0xa00234")
        self.assertEqual(walks, {"6.12": "nested_mmu", "2010": "nested_mmu", "chainsaw-v2": "gva_walk"})


if __name__ == "__main__":
    unittest.main()
