"""Durability of the spool: 250 is sent only after the message and its envelope
are on stable storage, so a kill -9 right after the 250 loses nothing; a transaction interrupted
by a kill leaves nothing visible and no garbage after the restart.

Each scenario runs its own server (it gets killed), with its own data directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from interop_harness import INSIDE, OUTSIDE, SERVER_STOP_TIMEOUT, TARO, make_message, unique_marker
from smtp_dialog import SMTPDialog

MESSAGES = 3


def test_kill_9_after_250_loses_nothing(fresh_server):
    server = fresh_server
    accepted: dict[str, str] = {}
    with SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE) as s:
        s.greeting()
        s.ehlo("mx.example.org")
        for n in range(MESSAGES):
            marker = unique_marker(f"durable{n}")
            s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
            s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
            s.expect(s.command("DATA"), 354)
            queued = s.expect(s.send_data(make_message("sender@example.org", [TARO.address], "durable", marker)),
                              250, "2.0.0")
            assert queued.queue_id, s.fail("250 is not `Ok: queued as ID`")
            accepted[queued.queue_id] = marker
        # The last 250 has just arrived: no time for a lazy flush.
        server.kill9()
    server.start()
    ids = server.queue_ids()
    for queue_id, marker in accepted.items():
        assert queue_id in ids, f"{queue_id} acknowledged with 250 but gone after kill -9: {ids}"
        shown = server.queue_show(queue_id)
        assert marker in shown, f"{queue_id} lost its content after kill -9:\n{shown}"
        assert TARO.address in shown, f"{queue_id} lost its envelope after kill -9:\n{shown}"


def test_kill_9_during_data_leaves_nothing_after_restart(fresh_server):
    server = fresh_server
    before = set(server.queue_ids())
    marker = unique_marker("interrupted")
    with SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE) as s:
        s.greeting()
        s.ehlo("mx.example.org")
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
        s.expect(s.command("DATA"), 354)
        head = make_message("sender@example.org", [TARO.address], "interrupted", marker,
                            body=f"Marker: {marker}\r\n" + ("partial line\r\n" * 2000))
        s.send(head)  # no end of data
        time.sleep(1.0)  # let the server stream the partial body to disk
        server.kill9()
    server.start()
    after = set(server.queue_ids())
    assert after == before, f"an interrupted transaction is visible in the queue: {sorted(after - before)}"
    # Nothing partial left on disk either: no file under the data directory holds the marker
    # (the server log lives outside the data directory).
    leftovers = []
    for root, _, files in os.walk(server.data_dir):
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as handle:
                    if marker.encode() in handle.read(8 * 1024 * 1024):
                        leftovers.append(path)
            except OSError:
                continue
    assert not leftovers, f"the interrupted transaction left files behind after restart: {leftovers}"


def test_sigterm_stops_cleanly(fresh_server):
    # SIGTERM stops the server; it exits with status 0.
    with SMTPDialog(INSIDE, fresh_server.smtp_port, source=OUTSIDE) as s:
        s.greeting()
        s.expect(s.command("NOOP"), 250)
        s.quit()
    status = fresh_server.stop()
    assert status == 0, f"`portcullis serve` exited {status} on SIGTERM\n{fresh_server.log_tail()}"


def test_sigterm_lets_a_transaction_in_data_finish(fresh_server):
    # On SIGTERM stop accepting, let transactions in DATA finish within the
    # grace period, then exit cleanly.
    server = fresh_server
    marker = unique_marker("grace")
    message = make_message("sender@example.org", [TARO.address], "grace", marker).encode()
    with SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE) as s:
        s.greeting()
        s.ehlo("mx.example.org")
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
        s.expect(s.command("DATA"), 354)
        s.send(message[:40])
        time.sleep(0.3)
        os.kill(server.pid, signal.SIGTERM)
        time.sleep(1.0)
        # Stop accepting: a new connection is refused or gets no service.
        try:
            with SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE, timeout=3) as late:
                reply = late.try_read_reply(3)
                assert reply is None or reply.code == 421, late.fail("a new session was served after SIGTERM")
        except (ConnectionRefusedError, ConnectionResetError):
            pass
        except AssertionError as error:
            if "timed out" not in str(error):
                raise
        s.send(message[40:] + b".\r\n")
        queued = s.expect(s.read_reply(), 250, "2.0.0", what="end of data after SIGTERM")
        s.quit()
    assert server.process is not None
    try:
        status = server.process.wait(SERVER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        status = None
    assert status == 0, f"`portcullis serve` did not exit 0 after the transaction finished: {status}\n{server.log_tail()}"
    server.stop()
    assert queued.queue_id in server.queue_ids()
