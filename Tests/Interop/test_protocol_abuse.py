"""Clients that do not wait for the server, and NUL octets in message data, against the real
`portcullis serve`.

- A NUL in DATA (also at `\\r\\n\\0.\\r\\n` and `\\r\\n.\\0\\r\\n`, which are no ends of data) or
  in a BDAT chunk: 554 5.6.0 at the real end of the message, the session stays in step
  (RSET, QUIT answered), nothing is queued.
- Message content sent before the 354 on an unauthenticated session: 554 5.5.0, the server
  disconnects, nothing of that transaction is queued (Postfix's smtpd_forbid_unauth_pipelining).
- With `[smtp] greet_pause`, a client that talks before the 220: 554 5.5.0 and disconnected
  (postscreen's pregreet test); real clients, which wait for the greeting and pipeline as RFC
  2920 allows, still send their mail: swaks --pipeline, curl, msmtp, smtplib, smtp-source.

Run: PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/test_protocol_abuse.py
"""

from __future__ import annotations

import smtplib
import subprocess
import time

import pytest

from interop_harness import (
    INSIDE,
    OUTSIDE,
    TARO,
    PortcullisServer,
    ServerError,
    check_spooled,
    make_message,
    require_peer,
    unique_marker,
)
from smtp_dialog import SMTPDialog

GREET_PAUSE_MS = 1500
CLIENT_TIMEOUT = 120


def port25(server: PortcullisServer, source: str = OUTSIDE) -> SMTPDialog:
    s = SMTPDialog(INSIDE, server.smtp_port, source=source)
    s.greeting()
    s.ehlo("mx.example.org")
    return s


def submission(server: PortcullisServer) -> SMTPDialog:
    s = SMTPDialog(INSIDE, server.submission_port)
    s.login_submission(TARO.address, TARO.password)
    return s


def open_data(s: SMTPDialog, sender: str) -> None:
    s.expect(s.command(f"MAIL FROM:<{sender}>"), 250, what="MAIL")
    s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250, what="RCPT")
    s.expect(s.command("DATA"), 354, what="DATA")


def session(server: PortcullisServer, service: str) -> tuple[SMTPDialog, str]:
    if service == "port25":
        return port25(server), "sender@example.org"
    return submission(server), TARO.address


# -- NUL in message data ------------------------------------------------------------------------

NUL_PLACES = {
    "CRLF-NUL-dot-CRLF": b"\r\n\x00.\r\n",   # would end the data if the NUL were dropped
    "CRLF-dot-NUL-CRLF": b"\r\n.\x00\r\n",
    "mid-line": b"\r\nsome \x00 text\r\n",
}


@pytest.mark.parametrize("service", ["port25", "submission"])
@pytest.mark.parametrize("place", list(NUL_PLACES), ids=list(NUL_PLACES))
def test_nul_in_data_is_refused_and_the_session_stays_in_step(server, queue_guard, service, place):
    marker = unique_marker("nul")
    s, sender = session(server, service)
    with s:
        open_data(s, sender)
        message = make_message(sender, [TARO.address], "nul", marker).encode()
        # After the NUL, a whole second transaction that must stay message content.
        payload = (message + b"before" + NUL_PLACES[place]
                   + f"MAIL FROM:<{sender}>\r\nRCPT TO:<{TARO.address}>\r\nDATA\r\nsmuggled\r\n".encode()
                   + b".\r\n")
        s.send(payload)
        s.expect(s.read_reply(30), 554, "5.6.0", what=f"end of data with a NUL ({place})")
        s.expect(s.command("RSET"), 250, what="RSET after the refusal")
        s.quit()
    queue_guard.assert_nothing_queued(f"{service}, NUL {place}")


def test_nul_in_a_bdat_chunk_is_refused_at_last(server, queue_guard):
    marker = unique_marker("nul-bdat")
    with port25(server) as s:
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
        first = make_message("sender@example.org", [TARO.address], "nul bdat", marker).encode() + b"a\x00b\r\n"
        s.send(f"BDAT {len(first)}\r\n".encode() + first)
        s.expect(s.read_reply(), 250, "2.0.0", what="first chunk")
        last = b"clean last chunk\r\n"
        s.send(f"BDAT {len(last)} LAST\r\n".encode() + last)
        s.expect(s.read_reply(30), 554, "5.6.0", what="BDAT LAST after a chunk with a NUL")
        s.expect(s.command("NOOP"), 250, what="NOOP after the refusal")
        s.quit()
    queue_guard.assert_nothing_queued("NUL in a BDAT chunk")


# -- Content before the 354 ---------------------------------------------------------------------

@pytest.mark.parametrize("source", [INSIDE, OUTSIDE], ids=["subscriber", "internet"])
def test_content_before_354_is_refused_and_disconnected(server, queue_guard, source):
    marker = unique_marker("early-content")
    with port25(server, source) as s:
        sender = "sender@example.org"
        message = make_message(sender, [TARO.address], "early content", marker).encode()
        # MAIL, RCPT, DATA and the message in one write: DATA must end a pipelined group.
        s.send(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{TARO.address}>\r\nDATA\r\n".encode() + message + b".\r\n")
        s.expect(s.read_reply(), 250, what="pipelined MAIL")
        s.expect(s.read_reply(), 250, what="pipelined RCPT")
        s.expect(s.read_reply(), 554, "5.5.0", what="DATA with the content behind it")
        assert s.wait_closed(10), s.fail("the server did not disconnect after 554 5.5.0")
    queue_guard.assert_nothing_queued("content before the 354")


def test_pipelined_envelope_with_content_after_354_is_queued(server):
    # RFC 2920 §3.1: MAIL, RCPT and DATA together, the content once the 354 arrived.
    marker = unique_marker("good-pipelining")
    with port25(server) as s:
        sender = "sender@example.org"
        s.send(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{TARO.address}>\r\nDATA\r\n".encode())
        s.expect(s.read_reply(), 250)
        s.expect(s.read_reply(), 250)
        s.expect(s.read_reply(), 354)
        message = make_message(sender, [TARO.address], "good pipelining", marker).encode()
        s.send(message + b".\r\nQUIT\r\n")
        queued = s.expect(s.read_reply(30), 250, "2.0.0", what="end of data")
        s.expect(s.read_reply(), 221)
    check_spooled(server, queued.queue_id, marker=marker, protocols=("ESMTP",), recipients=(TARO.address,))


def test_authenticated_client_may_pipeline_content(server):
    marker = unique_marker("auth-pipelining")
    with submission(server) as s:
        message = make_message(TARO.address, ["friend@example.net"], "auth pipelining", marker).encode()
        s.send(f"MAIL FROM:<{TARO.address}>\r\nRCPT TO:<friend@example.net>\r\nDATA\r\n".encode()
               + message + b".\r\n")
        s.expect(s.read_reply(), 250)
        s.expect(s.read_reply(), 250)
        s.expect(s.read_reply(), 354)
        queued = s.expect(s.read_reply(30), 250, "2.0.0", what="end of data")
        s.quit()
    check_spooled(server, queued.queue_id, marker=marker, protocols=("ESMTPSA",))


# -- greet_pause ------------------------------------------------------------------------------

class GreetPauseServer(PortcullisServer):
    """The harness's server with `[smtp] greet_pause`."""

    def config_text(self, access_prefixes):
        text = super().config_text(access_prefixes)
        return text.replace("[smtp]\n", f"[smtp]\ngreet_pause = {GREET_PAUSE_MS}\n", 1)


@pytest.fixture(scope="module")
def paused(portcullis_bin):
    instance = GreetPauseServer("greet-pause", portcullis_bin)
    try:
        instance.initialise()
        instance.provision()
        instance.start()
    except ServerError as error:
        instance.stop()
        pytest.fail(str(error))
    yield instance
    instance.stop()


def run_client(server: PortcullisServer, name: str, command: list[str], stdin: bytes | None = None):
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, timeout=CLIENT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{name} did not finish within {CLIENT_TIMEOUT}s: {command}") from None
    output = result.stdout.decode("utf-8", "replace") + result.stderr.decode("utf-8", "replace")
    with open(server.root / f"client-{name}.log", "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n{output}\n[exit {result.returncode}]\n\n")
    return result.returncode, output


def queued_ids(output: str) -> list[str]:
    import re
    return re.findall(r"250 2\.0\.0 Ok: queued as (\S+)", output)


@pytest.mark.parametrize("talk", [b"EHLO early.example.net\r\n", b"E", b"QUIT\r\n"],
                         ids=["EHLO", "one-octet", "QUIT"])
def test_talking_before_the_greeting_is_refused(paused, talk):
    with SMTPDialog(INSIDE, paused.smtp_port, source=OUTSIDE) as s:
        s.send(talk)
        reply = s.read_reply(GREET_PAUSE_MS / 1000 + 20)
        s.expect(reply, 554, "5.5.0", what="reply to a client that talked first")
        assert s.wait_closed(10), s.fail("the server did not disconnect the early talker")
    log = paused.log_path.read_text(encoding="utf-8", errors="replace")
    assert "connection refused" in log and "pregreet" in log, "the refusal is not in the server log"


def test_the_greeting_comes_after_the_pause(paused):
    started = time.monotonic()
    with SMTPDialog(INSIDE, paused.smtp_port, source=OUTSIDE) as s:
        s.greeting()
        waited = time.monotonic() - started
        assert waited >= GREET_PAUSE_MS / 1000 * 0.9, f"greeted after {waited:.2f}s, the pause is {GREET_PAUSE_MS} ms"
        s.ehlo("mx.example.org")
        s.quit()


def test_submission_is_not_paused(paused):
    started = time.monotonic()
    with SMTPDialog(INSIDE, paused.submission_port) as s:
        s.greeting()
        s.quit()
    assert time.monotonic() - started < GREET_PAUSE_MS / 1000, "the submission greeting waited for greet_pause"


def test_swaks_pipelining_after_the_pause(paused):
    marker = unique_marker("swaks-pipe")
    rc, out = run_client(paused, "swaks-pipeline", [
        require_peer("swaks"), "--server", f"{INSIDE}:{paused.smtp_port}", "--timeout", "60",
        "--pipeline", "--from", "sender@example.org", "--to", TARO.address, "--helo", "mx.example.org",
        "--header", f"Subject: swaks {marker}", "--body", f"Marker: {marker}"])
    assert rc == 0, f"swaks exited {rc}\n{out}"
    assert "PIPELINING" in out
    ids = queued_ids(out)
    assert len(ids) == 1, out
    check_spooled(paused, ids[0], marker=marker, protocols=("ESMTP",), recipients=(TARO.address,))


def test_curl_after_the_pause(paused):
    marker = unique_marker("curl-25")
    message = make_message("sender@example.org", [TARO.address], "curl", marker)
    rc, out = run_client(paused, "curl", [
        require_peer("curl"), "--verbose", "--silent", "--show-error", "--max-time", "90",
        f"smtp://{INSIDE}:{paused.smtp_port}/mx.example.org",
        "--mail-from", "sender@example.org", "--mail-rcpt", TARO.address, "--upload-file", "-"],
        stdin=message.encode())
    assert rc == 0, f"curl exited {rc}\n{out}"
    ids = queued_ids(out)
    assert len(ids) == 1, out
    check_spooled(paused, ids[0], marker=marker, protocols=("ESMTP",), recipients=(TARO.address,))


def test_msmtp_after_the_pause(paused):
    marker = unique_marker("msmtp-25")
    config = paused.root / "msmtprc-25"
    config.write_text(
        "defaults\naccount port25\n"
        f"host {INSIDE}\nport {paused.smtp_port}\n"
        "tls off\nauth off\n"
        "from sender@example.org\ndomain mx.example.org\ntimeout 60\n"
        "account default : port25\n", encoding="utf-8")
    message = make_message("sender@example.org", [TARO.address], "msmtp", marker)
    rc, out = run_client(paused, "msmtp", [require_peer("msmtp"), "-C", str(config), "--debug", TARO.address],
                         stdin=message.encode())
    assert rc == 0, f"msmtp exited {rc}\n{out}"
    ids = queued_ids(out)
    assert len(ids) == 1, out
    check_spooled(paused, ids[0], marker=marker, protocols=("ESMTP",), recipients=(TARO.address,))


def test_smtplib_after_the_pause(paused):
    marker = unique_marker("smtplib-25")
    message = make_message("sender@example.org", [TARO.address], "smtplib", marker)
    before = set(paused.queue_ids())
    with smtplib.SMTP(INSIDE, paused.smtp_port, local_hostname="mx.example.org", timeout=60) as client:
        refused = client.sendmail("sender@example.org", [TARO.address], message.encode())
        assert refused == {}
    new = set(paused.queue_ids()) - before
    assert len(new) == 1, f"expected one new queue entry, found {new}"
    check_spooled(paused, new.pop(), marker=marker, protocols=("ESMTP",), recipients=(TARO.address,))


def test_smtp_source_after_the_pause(paused):
    before = set(paused.queue_ids())
    sessions, messages = 4, 8
    rc, out = run_client(paused, "smtp-source", [
        require_peer("smtp-source"), "-s", str(sessions), "-m", str(messages), "-l", "2048",
        "-f", "sender@example.org", "-t", TARO.address, "-M", "mx.example.org",
        f"{INSIDE}:{paused.smtp_port}"])
    assert rc == 0, f"smtp-source exited {rc}\n{out}"
    new = set(paused.queue_ids()) - before
    assert len(new) == messages, f"smtp-source sent {messages} messages, {len(new)} were queued\n{out}"
