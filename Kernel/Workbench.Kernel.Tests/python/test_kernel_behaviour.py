"""Behaviour the conformance suite does not cover: signatures, interrupt, magic errors, stop_on_error,
display updates, many cells, robustness against bad input, shutdown, nbclient.

See kernel_harness.py for how to run these and the WORKBENCH_CLI variable.
"""

import hashlib
import hmac
import json
import os
import queue
import time
import unittest
import uuid

import zmq
from jupyter_client.session import Session

import kernel_harness
from kernel_harness import collect_outputs, drain_iopub, run_cell, stdout_text, wait_reply


class KernelBehaviourTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = kernel_harness.start_kernel()
        cls.zmq_context = zmq.Context()

    @classmethod
    def tearDownClass(cls):
        cls.zmq_context.destroy(linger=0)
        kernel_harness.stop_kernel(cls.km, cls.kc)

    def setUp(self):
        drain_iopub(self.kc, 0.05)

    # --- helpers -------------------------------------------------------------------------------------

    def raw_shell_socket(self):
        socket = self.zmq_context.socket(zmq.DEALER)
        socket.linger = 0
        socket.connect(f"{self.kc.transport}://{self.kc.ip}:{self.kc.shell_port}")
        self.addCleanup(socket.close)
        return socket

    def assert_kernel_answers(self):
        msg_id = self.kc.kernel_info()
        reply = wait_reply(self.kc, msg_id, timeout=10)
        self.assertEqual(reply["content"]["status"], "ok")

    def no_iopub_for(self, msg_id, seconds):
        for msg in drain_iopub(self.kc, seconds):
            self.assertNotEqual(msg["parent_header"].get("msg_id"), msg_id, f"kernel reacted: {msg['msg_type']}")

    # --- signatures ------------------------------------------------------------------------------------

    def test_forged_signature_is_ignored(self):
        reply, _ = run_cell(self.kc, "int forgedMarker = 0;")
        self.assertEqual(reply["content"]["status"], "ok")

        socket = self.raw_shell_socket()
        forger = Session(key=b"not-the-kernel-key", signature_scheme="hmac-sha256")
        forged = forger.send(socket, "execute_request", {
            "code": "forgedMarker = 42; Console.WriteLine(\"forged ran\");",
            "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
            "stop_on_error": True})
        self.assertEqual(socket.poll(1500), 0, "the kernel answered a message with a forged signature")
        self.no_iopub_for(forged["header"]["msg_id"], 0.3)

        reply, outputs = run_cell(self.kc, "Console.WriteLine(forgedMarker);")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(stdout_text(outputs).strip(), "0")

    def test_unsigned_message_is_ignored(self):
        socket = self.raw_shell_socket()
        unsigned = Session(key=b"")
        sent = unsigned.send(socket, "kernel_info_request", {})
        self.assertEqual(socket.poll(1000), 0, "the kernel answered an unsigned message")
        self.no_iopub_for(sent["header"]["msg_id"], 0.2)
        self.assert_kernel_answers()

    def test_signed_raw_message_is_answered(self):
        # The positive control for the two tests above: same socket path, the right key.
        socket = self.raw_shell_socket()
        sent = self.kc.session.send(socket, "kernel_info_request", {})
        self.assertEqual(socket.poll(10000), zmq.POLLIN)
        frames = socket.recv_multipart()
        _, reply = self.kc.session.feed_identities(frames)
        reply = self.kc.session.deserialize(reply)
        self.assertEqual(reply["parent_header"]["msg_id"], sent["header"]["msg_id"])
        self.assertEqual(reply["content"]["protocol_version"], "5.3")
        self.assertEqual(reply["content"]["implementation"], "mmu-workbench")
        drain_iopub(self.kc, 0.2)

    def test_malformed_messages_do_not_crash(self):
        socket = self.raw_shell_socket()
        key = self.kc.session.key

        def send_signed(header, parent, metadata, content):
            signature = hmac.new(key, header + parent + metadata + content, hashlib.sha256).hexdigest().encode()
            socket.send_multipart([b"<IDS|MSG>", signature, header, parent, metadata, content])

        header = json.dumps({"msg_id": uuid.uuid4().hex, "session": "s", "username": "u", "date": "",
                             "msg_type": "execute_request", "version": "5.3"}).encode()
        send_signed(header, b"{}", b"{}", b"{not json")
        send_signed(b"[1, 2]", b"{}", b"{}", b"{}")
        wrong_type_id = uuid.uuid4().hex
        wrong_type_header = json.dumps({"msg_id": wrong_type_id, "session": "s", "username": "u", "date": "",
                                        "msg_type": "execute_request", "version": "5.3"}).encode()
        send_signed(wrong_type_header, b"{}", b"{}", b'{"code": 12}')
        socket.send_multipart([b"no delimiter at all"])
        socket.send_multipart([b"<IDS|MSG>", b"short"])
        self.kc.session.send(socket, "no_such_request", {"x": 1})
        time.sleep(0.5)
        self.assert_kernel_answers()
        reply, outputs = run_cell(self.kc, 'Console.WriteLine("still alive");')
        self.assertEqual(stdout_text(outputs).strip(), "still alive")
        # Only the well-framed request with a mistyped field is answered (with an error); the unparseable
        # messages and the unknown type get nothing.
        self.assertEqual(socket.poll(1000), zmq.POLLIN)
        _, frames = self.kc.session.feed_identities(socket.recv_multipart())
        reply = self.kc.session.deserialize(frames)
        self.assertEqual(reply["parent_header"]["msg_id"], wrong_type_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(socket.poll(300), 0)

    def test_listens_only_on_the_connection_file_ports(self):
        pid = kernel_harness.kernel_pid(self.km)
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
        listening = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as rows:
                next(rows)
                for row in rows:
                    fields = row.split()
                    if fields[3] == "0A" and fields[9] in inodes:  # 0A = LISTEN
                        address, port = fields[1].split(":")
                        listening.add((address, int(port, 16)))
        expected_ports = {self.kc.shell_port, self.kc.iopub_port, self.kc.stdin_port, self.kc.control_port,
                          self.kc.hb_port}
        # 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex.
        self.assertEqual(listening, {("0100007F", port) for port in expected_ports})

    # --- execution -------------------------------------------------------------------------------------

    def test_interrupt_infinite_loop(self):
        msg_id = self.kc.execute("while (true) { }")
        time.sleep(1.0)
        # On a loaded machine the cell may still be compiling when the first interrupt arrives; like a user,
        # press again until the cell stops.
        reply = None
        for _ in range(10):
            self.km.interrupt_kernel()
            try:
                reply = wait_reply(self.kc, msg_id, timeout=2)
                break
            except (TimeoutError, queue.Empty):
                continue
        self.assertIsNotNone(reply, "the cell did not stop after 10 interrupts")
        self.assertEqual(reply["content"]["status"], "error")
        outputs = [m for m in collect_outputs(self.kc, msg_id) if m["msg_type"] != "execute_input"]
        self.assertEqual([m["msg_type"] for m in outputs], ["error"])

        reply, outputs = run_cell(self.kc, 'Console.WriteLine("after the interrupt");')
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertIn("after the interrupt", stdout_text(outputs))

    def test_interrupt_when_idle_is_harmless(self):
        msg = self.kc.session.msg("interrupt_request", {})
        self.kc.control_channel.send(msg)
        reply = wait_reply(self.kc, msg["header"]["msg_id"], timeout=10, channel="control")
        self.assertEqual(reply["content"]["status"], "ok")
        reply, outputs = run_cell(self.kc, 'Console.WriteLine("fine");')
        self.assertEqual(reply["content"]["status"], "ok")

    def test_failing_magic_gives_exactly_one_error(self):
        for code in ("#!lsmagic --bogus", "#!no-such-magic-command"):
            with self.subTest(code=code):
                reply, outputs = run_cell(self.kc, code)
                self.assertEqual(reply["content"]["status"], "error")
                self.assertEqual([m["msg_type"] for m in outputs], ["error"], outputs)

    def test_runaway_recursion_in_a_lambda_is_one_error_and_the_kernel_lives(self):
        # Issue 7: this overflowed the stack and killed the kernel process (and the session with it).
        run_cell(self.kc, "var beforeTheRecursion = 11;")
        reply, outputs = run_cell(self.kc, "Func<int,int> f = null; f = x => f(x + 1) + 1; f(1)", timeout=60)
        self.assertEqual(reply["content"]["status"], "error")
        errors = [m for m in outputs if m["msg_type"] == "error"]
        self.assertEqual([m["content"]["ename"] for m in errors], ["InsufficientExecutionStackException"])
        reply, outputs = run_cell(self.kc, "beforeTheRecursion + 1")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], ["12"])

    def test_lsmagic_lists_directives(self):
        reply, outputs = run_cell(self.kc, "#!lsmagic")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertGreaterEqual(len(outputs), 1)

    def test_stop_on_error_aborts_queued_cells(self):
        failing = self.kc.execute('System.Threading.Thread.Sleep(700); throw new Exception("first fails");')
        queued = [self.kc.execute('Console.WriteLine("must not run");') for _ in range(2)]
        self.assertEqual(wait_reply(self.kc, failing)["content"]["status"], "error")
        for msg_id in queued:
            self.assertEqual(wait_reply(self.kc, msg_id)["content"]["status"], "aborted")
        for msg_id in [failing] + queued:
            collect_outputs(self.kc, msg_id)

        reply, outputs = run_cell(self.kc, 'Console.WriteLine("runs again");')
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertIn("runs again", stdout_text(outputs))

    def test_stop_on_error_false_keeps_queued_cells(self):
        failing = self.kc.execute('System.Threading.Thread.Sleep(300); throw new Exception("fails alone");',
                                  stop_on_error=False)
        queued = self.kc.execute('Console.WriteLine("runs anyway");')
        self.assertEqual(wait_reply(self.kc, failing)["content"]["status"], "error")
        self.assertEqual(wait_reply(self.kc, queued)["content"]["status"], "ok")
        collect_outputs(self.kc, failing)
        self.assertIn("runs anyway", stdout_text(collect_outputs(self.kc, queued)))

    def test_hundred_cells_in_a_row(self):
        first, _ = run_cell(self.kc, "int total = 0;")
        start = first["content"]["execution_count"]
        for i in range(1, 101):
            reply, outputs = run_cell(self.kc, f"total += {i};")
            self.assertEqual(reply["content"]["status"], "ok")
            self.assertEqual(reply["content"]["execution_count"], start + i)
            self.assertEqual(outputs, [])
        reply, outputs = run_cell(self.kc, "Console.WriteLine(total);")
        self.assertEqual(stdout_text(outputs).strip(), "5050")

    def test_display_update_keeps_display_id(self):
        reply, outputs = run_cell(self.kc, 'var shown = display("first");\nshown.Update("second");')
        self.assertEqual(reply["content"]["status"], "ok")
        kinds = [m["msg_type"] for m in outputs]
        self.assertEqual(kinds, ["display_data", "update_display_data"])
        display_id = outputs[0]["content"]["transient"]["display_id"]
        self.assertTrue(display_id)
        self.assertEqual(outputs[1]["content"]["transient"]["display_id"], display_id)
        self.assertIn("second", outputs[1]["content"]["data"]["text/plain"])

        # An update from a later cell still targets the same output.
        reply, outputs = run_cell(self.kc, 'shown.Update("third");')
        self.assertEqual([m["msg_type"] for m in outputs], ["update_display_data"])
        self.assertEqual(outputs[0]["content"]["transient"]["display_id"], display_id)

    def test_execute_result_carries_execution_count(self):
        reply, outputs = run_cell(self.kc, "40 + 2")
        self.assertEqual(len(outputs), 1)
        self.assertEqual(outputs[0]["msg_type"], "execute_result")
        self.assertEqual(outputs[0]["content"]["execution_count"], reply["content"]["execution_count"])
        self.assertEqual(outputs[0]["content"]["data"]["text/plain"], "42")

    def test_silent_execution_has_no_outputs_and_no_count(self):
        before, _ = run_cell(self.kc, "var s1 = 1;")
        self.assertEqual(before["content"]["status"], "ok")
        msg_id = self.kc.execute('Console.WriteLine("quiet");', silent=True)
        reply = wait_reply(self.kc, msg_id)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(collect_outputs(self.kc, msg_id), [])
        after, _ = run_cell(self.kc, "var s2 = 2;")
        self.assertEqual(after["content"]["execution_count"], before["content"]["execution_count"] + 1)

    def test_store_history_false_does_not_count(self):
        before, _ = run_cell(self.kc, "var h3 = 3;")
        reply, _ = run_cell(self.kc, "var h4 = 4;", store_history=False)
        self.assertEqual(reply["content"]["status"], "ok")
        after, _ = run_cell(self.kc, "var h5 = 5;")
        self.assertEqual(after["content"]["execution_count"], before["content"]["execution_count"] + 1)

    def test_history_output_pairs(self):
        run_cell(self.kc, "19 + 23")
        msg_id = self.kc.history(hist_access_type="tail", n=1, output=True, raw=True)
        rows = wait_reply(self.kc, msg_id)["content"]["history"]
        self.assertEqual(len(rows), 1)
        session, line, (source, output) = rows[0]
        self.assertEqual(source, "19 + 23")
        self.assertEqual(output, "42")

    # --- other requests --------------------------------------------------------------------------------

    def test_completion_cursor_counts_code_points(self):
        # The emoji is one code point but two UTF-16 units: positions must be reported in code points.
        code = 'var s = "\U0001F600";\nConsole.WriteL'
        msg_id = self.kc.complete(code, cursor_pos=len(code))
        content = wait_reply(self.kc, msg_id)["content"]
        self.assertEqual(content["status"], "ok")
        self.assertIn("WriteLine", content["matches"])
        self.assertEqual(content["cursor_end"], len(code))
        self.assertEqual(content["cursor_start"], len(code) - len("WriteL"))

    def test_comm_requests(self):
        msg_id = self.kc.comm_info()
        reply = wait_reply(self.kc, msg_id)
        self.assertEqual(reply["content"], {"status": "ok", "comms": {}})

        open_msg = self.kc.session.msg("comm_open", {"comm_id": "c1", "target_name": "jupyter.widget", "data": {}})
        self.kc.shell_channel.send(open_msg)
        outputs = collect_outputs(self.kc, open_msg["header"]["msg_id"], timeout=10)
        self.assertEqual([m["msg_type"] for m in outputs], ["comm_close"])
        self.assertEqual(outputs[0]["content"]["comm_id"], "c1")

    def test_busy_and_idle_around_kernel_info(self):
        msg_id = self.kc.kernel_info()
        wait_reply(self.kc, msg_id)
        states = []
        while len(states) < 2:
            msg = self.kc.get_iopub_msg(timeout=0.5)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status":
                states.append(msg["content"]["execution_state"])
        self.assertEqual(states, ["busy", "idle"])


class ShutdownTests(unittest.TestCase):
    def test_shutdown_on_control_exits(self):
        km, kc = kernel_harness.start_kernel()
        try:
            msg_id = kc.shutdown(restart=True)
            reply = wait_reply(kc, msg_id, timeout=10, channel="control")
            self.assertEqual(reply["content"], {"status": "ok", "restart": True})
            self.assert_exits(km)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    def test_shutdown_on_control_while_a_cell_runs(self):
        km, kc = kernel_harness.start_kernel()
        try:
            kc.execute("while (true) { }")
            time.sleep(0.5)
            msg = kc.session.msg("shutdown_request", {"restart": False})
            kc.control_channel.send(msg)
            reply = wait_reply(kc, msg["header"]["msg_id"], timeout=10, channel="control")
            self.assertEqual(reply["content"]["restart"], False)
            self.assert_exits(km)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    def test_shutdown_request_on_shell(self):
        km, kc = kernel_harness.start_kernel()
        try:
            msg = kc.session.msg("shutdown_request", {"restart": False})
            kc.shell_channel.send(msg)
            reply = wait_reply(kc, msg["header"]["msg_id"], timeout=10)
            self.assertEqual(reply["content"], {"status": "ok", "restart": False})
            self.assert_exits(km)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    def assert_exits(self, km):
        deadline = time.monotonic() + 10
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(km.is_alive(), "kernel still running 10 s after shutdown_reply")


class NbclientTests(unittest.TestCase):
    def test_notebook_executes_with_nbclient(self):
        import nbformat
        from nbclient import NotebookClient

        kernel_harness.ensure_kernelspec()
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell('Console.WriteLine("from nbclient");'),
            nbformat.v4.new_code_cell('var d = display("v1");'),
            nbformat.v4.new_code_cell('d.Update("v2");\n6 * 7'),
        ]
        client = NotebookClient(nb, kernel_name=kernel_harness.KERNEL_NAME, timeout=60, startup_timeout=60)
        client.execute()
        self.assertEqual(nb.metadata.language_info.name, "C#")
        self.assertEqual(nb.cells[0].outputs[0].text.strip(), "from nbclient")
        self.assertEqual(nb.cells[1].outputs[0].output_type, "display_data")
        # nbclient applies update_display_data to the earlier cell's output.
        self.assertIn("v2", nb.cells[1].outputs[0].data["text/plain"])
        self.assertEqual(nb.cells[2].outputs[-1].output_type, "execute_result")
        self.assertEqual(nb.cells[2].outputs[-1].data["text/plain"], "42")


if __name__ == "__main__":
    unittest.main()
