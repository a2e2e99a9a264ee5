"""STARTTLS command injection (RFC 3207 §4.2, CVE-2011-0411 class): commands a client pipelines
behind STARTTLS in the same write must be discarded, not executed inside the TLS session, and the
session must start over (EHLO again) after the handshake.
"""

from __future__ import annotations

import pytest

from interop_harness import INSIDE, OUTSIDE, TARO
from smtp_dialog import SMTPDialog

SERVICES = ["submission", "port25"]


def open_dialog(server, service: str) -> SMTPDialog:
    if service == "submission":
        return SMTPDialog(INSIDE, server.submission_port)
    return SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE)


@pytest.mark.parametrize("service", SERVICES)
def test_commands_pipelined_behind_starttls_are_not_executed(server, queue_guard, service):
    with open_dialog(server, service) as s:
        s.greeting()
        ehlo = s.ehlo()
        assert ehlo.has_keyword("STARTTLS"), s.fail("STARTTLS not advertised")
        s.send(f"STARTTLS\r\nMAIL FROM:<{TARO.address}>\r\nRCPT TO:<{TARO.address}>\r\n")
        s.expect(s.read_reply(), 220, what="STARTTLS")
        # No plaintext reply to the injected MAIL/RCPT may arrive before the handshake.
        leaked = s.pending_bytes(1.0)
        assert not leaked, s.fail(f"plaintext bytes after the 220 to STARTTLS: {leaked!r}")
        s.handshake()  # the injected bytes must not have been fed into the TLS layer either
        # Nor inside TLS: the injected commands were discarded, so nothing is waiting for us.
        ghost = s.drain(1.0)
        assert not ghost, s.fail(f"{len(ghost)} replies to commands injected before the handshake")
        # RFC 3207 §4.2: the session is reset; without a new EHLO, MAIL is out of sequence.
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 503, "5.5.1", what="MAIL right after the handshake")
        s.ehlo()
        s.quit()
    queue_guard.assert_nothing_queued()


def test_envelope_is_not_carried_into_tls(server, queue_guard):
    # RFC 3207 §4.2: after the handshake the server discards what it knew, the envelope included.
    # A server may instead refuse STARTTLS inside a transaction (503); either way no MAIL survives.
    with SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE) as s:
        s.greeting()
        s.ehlo()
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        reply = s.expect_one_of(s.command("STARTTLS"), [(220, None), (503, "5.5.1")], what="STARTTLS in a transaction")
        if reply.code == 220:
            s.handshake()
            s.ehlo()
            s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 503, "5.5.1", what="RCPT: the MAIL from before TLS")
        s.quit()
    queue_guard.assert_nothing_queued()
