"""The #!mmu-* building commands driven over the Jupyter protocol, as a notebook front end drives them: the
mmu-workbench kernelspec starts with the MMU extension loaded, and one kernel goes guest -> nested -> map -> access.
Also the round trip of #!mmu-access on a 4-level guest beside a trivial cell's (issue: within 20 ms median)."""

import statistics
import unittest

from jupyter_client.manager import start_new_kernel

import kernel_harness
from bench_kernel import round_trip
from kernel_harness import run_cell


def errors(outputs):
    return [m["content"] for m in outputs if m["msg_type"] == "error"]


def displays(outputs):
    return [m["content"]["data"] for m in outputs if m["msg_type"] in ("display_data", "update_display_data")]


class MmuCommandsOverTheProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        kernel_harness.ensure_kernelspec()
        cls.km, cls.kc = start_new_kernel(kernel_name=kernel_harness.KERNEL_NAME, startup_timeout=60)

    @classmethod
    def tearDownClass(cls):
        kernel_harness.stop_kernel(cls.km, cls.kc)

    def test_guest_nested_map_access_sequence(self):
        steps = [
            ("#!mmu-guest --name e2e --paging 4level --wp --nx --tdp ept", "root_mmu"),
            ("#!mmu-nested --kind vmx --l1-tdp on --paging 4level --wp --ept-ad", "guest_mmu"),
            ("#!mmu-map --gva 0x401000 --gpa 0x1234000 --flags r,w,u", "0x401000"),
            ("#!mmu-access 0x401234 --write --cpl 3", "ok gpa"),
        ]
        for code, expected in steps:
            reply, outputs = run_cell(self.kc, code, timeout=60)
            self.assertEqual(reply["content"]["status"], "ok", (code, errors(outputs)))
            shown = displays(outputs)
            self.assertTrue(shown, (code, outputs))
            self.assertTrue(all("text/html" in d and "text/plain" in d for d in shown), code)
            self.assertIn(expected, "\n".join(d["text/plain"] for d in shown), code)

        # The access shows its report and the chart of its 24-read walk.
        reply, outputs = run_cell(self.kc, "Session.Current.Results[^1] is AccessResult r ? r.Trace.Count(t => t.Kind == TraceKind.Read) : -1", timeout=60)
        self.assertEqual(reply["content"]["status"], "ok", errors(outputs))
        result = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(result, ["24"])

    def test_bad_input_is_one_error_and_the_guest_survives(self):
        run_cell(self.kc, "#!mmu-guest --name keep", timeout=60)
        reply, outputs = run_cell(self.kc, "#!mmu-map --gva 0x401000 --gpa 0x2000 --size 3K", timeout=60)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(len(errors(outputs)), 1, outputs)
        self.assertIn("--size", errors(outputs)[0]["evalue"])
        reply, outputs = run_cell(self.kc, "#!mmu-access 0x401000", timeout=60)
        self.assertEqual(reply["content"]["status"], "ok", errors(outputs))

    def test_sweep_progress_updates_in_place(self):
        run_cell(self.kc, "#!mmu-guest --name sweep --tdp none", timeout=60)
        reply, outputs = run_cell(self.kc, "#!mmu-sweep --slice 300000", timeout=300)
        self.assertEqual(reply["content"]["status"], "ok", errors(outputs))
        first = next(m for m in outputs if m["msg_type"] == "display_data")
        display_id = first["content"].get("transient", {}).get("display_id")
        self.assertTrue(display_id, first)
        updates = [m for m in outputs if m["msg_type"] == "update_display_data"]
        self.assertTrue(updates, "the progress bar was never updated")
        self.assertTrue(all(u["content"]["transient"]["display_id"] == display_id for u in updates))
        self.assertIn("300,000", updates[-1]["content"]["data"]["text/plain"])

    def test_access_round_trip_beside_a_trivial_cell(self):
        """Median of 50 round trips after warm-up, chart excluded (--no-chart: each chart embeds plotly.js); reported,
        the bound only catches pathologies on a shared CI box."""
        run_cell(self.kc, "#!mmu-guest --name rt --paging 4level --tdp ept", timeout=60)
        run_cell(self.kc, "#!mmu-map --gva 0x401000 --gpa 0x200000", timeout=60)
        for _ in range(10):
            round_trip(self.kc, "#!mmu-access 0x401234 --no-chart")
            round_trip(self.kc, "var x = 1;")
        access = statistics.median(round_trip(self.kc, "#!mmu-access 0x401234 --no-chart") for _ in range(50))
        trivial = statistics.median(round_trip(self.kc, "var x = 1;") for _ in range(50))
        print(f"\nround trip: #!mmu-access {access * 1000:.1f} ms, trivial cell {trivial * 1000:.1f} ms (medians of 50)")
        self.assertLess(access, 0.2)


if __name__ == "__main__":
    unittest.main()
