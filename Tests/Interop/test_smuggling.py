"""SMTP smuggling (SEC Consult, December 2023; CVE-2023-51764/51765/51766): a bare LF or bare CR
end-of-data look-alike must never end the message. RFC 5321 §4.1.1.4 ends data only on
CRLF.CRLF and §2.3.8 forbids bare CR and LF; Portcullis refuses such a message with a 5xx.

Each scenario sends, in one write, a first message whose body contains a fake end-of-data,
followed by a complete second transaction (MAIL, RCPT, DATA, a "smuggled" message) and a real
CRLF.CRLF. A vulnerable server would queue two messages; a correct one refuses the whole thing.
The queue is compared before and after: nothing may have been queued.
"""

from __future__ import annotations

import pytest

from interop_harness import INSIDE, OUTSIDE, TARO, make_message, unique_marker
from smtp_dialog import SMTPDialog

FAKE_ENDS = {
    "LF.LF": b"\n.\n",
    "CR.CR": b"\r.\r",
    "LF.CRLF": b"\n.\r\n",
    "CRLF.LF": b"\r\n.\n",
    "CR.CRLF": b"\r.\r\n",
    "CRLF.CR": b"\r\n.\r",
}


def open_transaction(server, service: str) -> tuple[SMTPDialog, str]:
    """A dialog at the point where DATA got 354, and the sender that service accepts."""
    if service == "port25":
        s = SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE)
        s.greeting()
        s.ehlo("mx.example.org")
        sender = "sender@example.org"
    else:
        s = SMTPDialog(INSIDE, server.submission_port)
        s.login_submission(TARO.address, TARO.password)
        sender = TARO.address
    s.expect(s.command(f"MAIL FROM:<{sender}>"), 250, what="MAIL")
    s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250, what="RCPT")
    s.expect(s.command("DATA"), 354, what="DATA")
    return s, sender


def refuse_and_queue_nothing(s: SMTPDialog, queue_guard, what: str) -> None:
    first = s.read_reply(30)
    assert 500 <= first.code < 600, s.fail(f"{what}: the message was not refused with a 5xx")
    later = s.drain(2.0)
    queued = [r for r in later if r.queue_id]
    assert not queued, s.fail(f"{what}: the server queued a message after the refusal")
    s.quit()
    queue_guard.assert_nothing_queued(what)


@pytest.mark.parametrize("service", ["port25", "submission"])
@pytest.mark.parametrize("fake_end", list(FAKE_ENDS), ids=list(FAKE_ENDS))
def test_smuggled_second_message_is_not_queued(server, queue_guard, service, fake_end):
    marker = unique_marker("smuggle-outer")
    smuggled_marker = unique_marker("smuggle-inner")
    with open_transaction(server, service)[0] as s:
        sender = TARO.address if service == "submission" else "ceo@example.org"
        outer = make_message(sender, [TARO.address], "outer", marker).encode()
        inner = make_message(sender, [TARO.address], "smuggled", smuggled_marker).encode()
        payload = (outer + b"before the fake end"
                   + FAKE_ENDS[fake_end]
                   + f"MAIL FROM:<{sender}>\r\nRCPT TO:<{TARO.address}>\r\nDATA\r\n".encode()
                   + inner
                   + b".\r\n")
        s.send(payload)
        refuse_and_queue_nothing(s, queue_guard, f"{service}, fake end {fake_end}")


@pytest.mark.parametrize("service", ["port25", "submission"])
@pytest.mark.parametrize("bare", [b"\n", b"\r"], ids=["bare-LF", "bare-CR"])
def test_bare_line_ending_in_body_is_refused(server, queue_guard, service, bare):
    marker = unique_marker("bare")
    with open_transaction(server, service)[0] as s:
        sender = TARO.address if service == "submission" else "sender@example.org"
        body = f"Marker: {marker}\r\nfirst half".encode() + bare + b"second half\r\n"
        message = make_message(sender, [TARO.address], "bare", marker, body="").encode() + body
        s.send(message + b".\r\n")
        refuse_and_queue_nothing(s, queue_guard, f"{service}, body with {bare!r}")
