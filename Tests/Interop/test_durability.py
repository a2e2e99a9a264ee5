"""Durability of the spool (issue 2, item 8): 250 is sent only after the message and its envelope
are on stable storage, so a kill -9 right after the 250 loses nothing; a transaction interrupted
by a kill leaves nothing visible and no garbage after the restart.

Each scenario runs its own server (it gets killed), with its own data directory.
"""

from __future__ import annotations

import os
import time

from interop_harness import INSIDE, OUTSIDE, TARO, make_message, unique_marker
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
    # Issue 2, item 10: SIGTERM stops the server; it exits with status 0 within the grace period.
    status = fresh_server.stop()
    assert status == 0, f"`portcullis serve` exited {status} on SIGTERM\n{fresh_server.log_tail()}"
