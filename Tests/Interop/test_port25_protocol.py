"""The port-25 service at the protocol level: CHUNKING, dot-unstuffing, line framing, error limits.

Raw dialogs from an outside client (127.0.0.2) to a hosted user, so policy never gets in the way
of what is being tested.
"""

from __future__ import annotations

import pytest

from interop_harness import (
    HOSTNAME,
    INSIDE,
    MAX_ERRORS,
    MAX_MESSAGE_SIZE,
    OUTSIDE,
    TARO,
    check_spooled,
    make_message,
    unique_marker,
)
from smtp_dialog import SMTPDialog


def outside(server) -> SMTPDialog:
    s = SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE)
    banner = s.greeting()
    assert HOSTNAME in banner.text, s.fail("banner does not name the host")
    return s


def test_ehlo_on_port_25(server):
    with outside(server) as s:
        ehlo = s.ehlo("mx.example.org")
        for keyword in ("PIPELINING", "SIZE", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN", "STARTTLS"):
            assert ehlo.has_keyword(keyword), s.fail(f"{keyword} not advertised on port 25")
        s.quit()


def test_bdat_chunks_are_queued_verbatim(server):
    # RFC 3030 §2: BDAT carries exact octets, no dot-stuffing; every chunk is answered, the LAST
    # one with the queue ID. The chunks are pipelined behind the envelope (RFC 3030 §4.2).
    marker = unique_marker("bdat")
    message = make_message("sender@example.org", [TARO.address], "bdat", marker,
                           body=f"Marker: {marker}\r\n..two dots stay two dots in BDAT\r\n.\r\nlast line\r\n")
    raw = message.encode()
    first, second = raw[:len(raw) // 2], raw[len(raw) // 2:]
    with outside(server) as s:
        s.ehlo("mx.example.org")
        s.send(b"MAIL FROM:<sender@example.org>\r\n"
               + f"RCPT TO:<{TARO.address}>\r\n".encode()
               + f"BDAT {len(first)}\r\n".encode() + first
               + f"BDAT {len(second)} LAST\r\n".encode() + second)
        mail, rcpt, chunk1, last = s.read_replies(4)
        s.expect(mail, 250, what="MAIL")
        s.expect(rcpt, 250, what="RCPT")
        s.expect(chunk1, 250, what="first BDAT chunk")
        s.expect(last, 250, "2.0.0", what="BDAT LAST")
        assert last.queue_id, s.fail("BDAT LAST reply is not `Ok: queued as ID`")
        s.quit()
    spooled = check_spooled(server, last.queue_id, marker=marker, protocols=("ESMTP",), recipients=(TARO.address,))
    assert "\n..two dots stay two dots in BDAT\n" in spooled.message, spooled.output
    assert "\n.\nlast line" in spooled.message, spooled.output


def test_bdat_zero_last_ends_the_message(server):
    marker = unique_marker("bdat0")
    raw = make_message("sender@example.org", [TARO.address], "bdat 0 last", marker).encode()
    with outside(server) as s:
        s.ehlo("mx.example.org")
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
        s.send(f"BDAT {len(raw)}\r\n".encode() + raw)
        s.expect(s.read_reply(), 250, what="BDAT chunk")
        last = s.expect(s.command("BDAT 0 LAST"), 250, "2.0.0", what="BDAT 0 LAST")
        s.quit()
    check_spooled(server, last.queue_id, marker=marker, protocols=("ESMTP",))


def test_data_after_bdat_is_503(server, queue_guard):
    # RFC 3030 §2: DATA and BDAT cannot be mixed in one transaction.
    with outside(server) as s:
        s.ehlo("mx.example.org")
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
        s.send(b"BDAT 10\r\n0123456789")
        s.expect(s.read_reply(), 250, what="BDAT chunk")
        s.expect(s.command("DATA"), 503, what="DATA after BDAT")
        s.quit()
    queue_guard.assert_nothing_queued()


def test_data_is_dot_unstuffed(server):
    # RFC 5321 §4.5.2: a leading dot on the wire is doubled; the spool holds the original line.
    marker = unique_marker("dots")
    body = f"Marker: {marker}\r\n.leading dot line\r\n..two leading dots\r\n"
    with outside(server) as s:
        s.ehlo("mx.example.org")
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
        s.expect(s.command("DATA"), 354)
        queued = s.expect(s.send_data(make_message("sender@example.org", [TARO.address], "dots", marker, body=body)),
                          250, "2.0.0")
        s.quit()
    spooled = check_spooled(server, queued.queue_id, marker=marker, protocols=("ESMTP",))
    assert "\n.leading dot line\n" in spooled.message, spooled.output
    assert "\n..two leading dots\n" in spooled.message, spooled.output
    assert "\n...two leading dots" not in spooled.message, spooled.output


@pytest.mark.parametrize("separator", [b"\r", b"\n"], ids=["bare-CR", "bare-LF"])
def test_bare_line_ending_in_command_is_refused(server, queue_guard, separator):
    # A bare CR or LF anywhere in a command is a 5xx, and nothing after it runs as a
    # command (the same smuggling defence as in DATA).
    with outside(server) as s:
        s.ehlo("mx.example.org")
        s.send(b"MAIL FROM:<sender@example.org>" + separator + f"RCPT TO:<{TARO.address}>\r\n".encode())
        replies = [s.read_reply()] + s.drain(1.5)
        for reply in replies:
            assert 500 <= reply.code < 600, s.fail(f"a reply to a command with a bare {separator!r} is not 5xx")
        if not s.closed_by_peer:
            # Had the MAIL been executed, this RCPT would be accepted.
            s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 503, what="RCPT: the smuggled MAIL must not exist")
        s.quit()
    queue_guard.assert_nothing_queued()


@pytest.mark.parametrize("length", [2100, 100_000])
def test_over_long_command_line_is_500(server, length):
    # RFC 5321 §4.5.3.1.4: 500 5.5.2 line too long; the tail is never read as a command.
    with outside(server) as s:
        s.ehlo("mx.example.org")
        s.line("MAIL FROM:<" + "a" * (length - len("MAIL FROM:<@example.org>\r\n")) + "@example.org>")
        s.expect(s.read_reply(), 500, "5.5.2", what=f"{length}-octet MAIL line")
        extra = s.drain(1.5)
        assert not extra, s.fail(f"{len(extra)} more replies: the tail of the long line was read as commands")
        s.quit()


@pytest.mark.parametrize("line_length", [1500, 5000])
def test_long_data_line_is_handled(server, line_length):
    # DATA lines over 998 octets (RFC 5322 §2.1.1) are refused or handled the way Postfix
    # does; either a 250 with a queue ID or a 5xx, and the server keeps serving.
    marker = unique_marker("long-data-line")
    body = f"Marker: {marker}\r\n" + "y" * line_length + "\r\n"
    with outside(server) as s:
        s.ehlo("mx.example.org")
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
        s.expect(s.command("DATA"), 354)
        reply = s.send_data(make_message("sender@example.org", [TARO.address], "long line", marker, body=body))
        assert (reply.code == 250 and reply.queue_id) or 500 <= reply.code < 600, \
            s.fail("a long DATA line got neither a queue ID nor a 5xx")
        s.quit()
    with outside(server) as s:
        s.expect(s.command("NOOP"), 250, what="NOOP on a new connection")
        s.quit()


def test_endless_data_line_is_bounded(server, queue_guard):
    # No CRLF at all in a body larger than the size limit: bounded memory, 552 5.3.4 or another 5xx.
    with outside(server) as s:
        s.ehlo("mx.example.org")
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
        s.expect(s.command("DATA"), 354)
        chunk = b"z" * 65536
        for _ in range(2 * MAX_MESSAGE_SIZE // len(chunk) + 2):
            s.send(chunk)
            if s.closed_by_peer:
                break
        s.send(b"\r\n.\r\n")
        reply = s.try_read_reply(60)
        if reply is not None:
            assert 500 <= reply.code < 600, s.fail("an endless oversized line was not refused")
        s.quit()
    queue_guard.assert_nothing_queued()
    with outside(server) as s:
        s.expect(s.command("NOOP"), 250, what="NOOP on a new connection")
        s.quit()


def test_too_many_errors_is_421_and_close(server):
    # Errors per session are limited; past the limit the server says 421 and hangs up.
    with outside(server) as s:
        s.ehlo("mx.example.org")
        got_421 = False
        for attempt in range(MAX_ERRORS + 2):
            s.line("XYZZY")
            reply = s.try_read_reply()
            assert reply is not None, s.fail(f"connection closed after {attempt} errors without a 421")
            if reply.code == 421:
                got_421 = True
                break
            assert 500 <= reply.code < 600, s.fail("unknown command not answered with 5xx")
        assert got_421, s.fail(f"no 421 after {MAX_ERRORS + 2} errors (max_errors = {MAX_ERRORS})")
        assert s.wait_closed(10), s.fail("connection still open after the 421")


def test_connections_per_client_are_limited(server):
    # A limit on connections per client IP (max_connections_per_client = 50 in the test
    # configuration). Past it, the client gets 421 (RFC 5321 §3.1) or is closed: never a 220.
    # A dedicated source address keeps the other scenarios' connections out of the count.
    from interop_harness import read_config_limit
    limit = read_config_limit(server, "max_connections_per_client")
    source = "127.0.0.9"
    held: list[SMTPDialog] = []
    try:
        for _ in range(limit):
            s = SMTPDialog(INSIDE, server.smtp_port, source=source)
            s.greeting()
            held.append(s)
        extra = SMTPDialog(INSIDE, server.smtp_port, source=source, timeout=10)
        held.append(extra)
        reply = extra.try_read_reply(10)
        assert reply is None or reply.code == 421, extra.fail(f"connection {limit + 1} from one client was served")
        # Another client is not affected by this one's connections.
        with SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE) as other:
            other.greeting()
            other.quit()
    finally:
        for s in held:
            s.quit()
            s.close()
    # Once they are closed, the client may connect again.
    with SMTPDialog(INSIDE, server.smtp_port, source=source) as again:
        again.greeting()
        again.quit()
