"""jupyter_kernel_test's message-schema and behaviour checks, run against the mmu-workbench kernel.

See kernel_harness.py for how to run these and the WORKBENCH_CLI variable.
"""

import unittest

import jupyter_kernel_test

import kernel_harness


class MmuWorkbenchKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = kernel_harness.KERNEL_NAME
    language_name = "C#"
    file_extension = ".cs"

    code_hello_world = 'Console.WriteLine("hello, world");'
    code_stderr = 'Console.Error.WriteLine("something went to stderr");'

    completion_samples = [
        {"text": "Console.WriteL", "matches": {"WriteLine"}},
        {"text": "Math.Sqr", "matches": {"Sqrt"}},
        {"text": "var count = 1;\ncou"},
    ]

    complete_code_samples = [
        "var x = 1;",
        'Console.WriteLine("done");',
        "if (true) { Console.WriteLine(1); }",
    ]
    incomplete_code_samples = [
        "if (true) {",
        "int Twice(int x) {",
        "var list = new[] {",
    ]
    invalid_code_samples = [
        "var x = 1; }",
        "var = ;",
    ]

    code_generate_error = 'throw new InvalidOperationException("generated error");'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "1 + 2", "result": "3"},
    ]
    code_history_pattern = "6*7"
    supported_history_operations = ("tail", "range", "search")

    code_display_data = [
        {"code": "display(42);", "mime": "text/plain"},
        {"code": 'display(HTML("<b>bold</b>"));', "mime": "text/html"},
    ]

    code_inspect_sample = "Console"
    code_clear_output = "ClearOutput();"

    @classmethod
    def setUpClass(cls):
        kernel_harness.ensure_kernelspec()
        super().setUpClass()

    def test_pager(self):
        """The kernel has no pager: instead of the base class's skip, check that no cell ever sends a payload."""
        self.flush_channels()
        for code in ("1 + 1", 'Console.WriteLine("x");', "#!lsmagic"):
            reply, _ = self.execute_helper(code)
            self.assertEqual(reply["content"]["payload"], [])


if __name__ == "__main__":
    unittest.main()
