"""The port-25 service: inbound mail for hosted domains, relay only for access networks.

The configuration lists 127.0.0.1/32 as the only access network, so a client bound to
127.0.0.1 is a subscriber ("inside", may relay anywhere) and one bound to 127.0.0.2 is the
rest of the internet ("outside", may only send to hosted domains).
"""

from __future__ import annotations

import pytest

from interop_harness import (
    INSIDE,
    JIRO,
    OUTSIDE,
    TARO,
    TARO_ALIAS,
    check_spooled,
    make_message,
    unique_marker,
)
from smtp_dialog import SMTPDialog


def port25(server, source: str) -> SMTPDialog:
    s = SMTPDialog(INSIDE, server.smtp_port, source=source)
    s.greeting()
    s.ehlo("mx.example.org")
    return s


def deliver(server, source: str, sender: str, recipient: str, marker: str, starttls: bool = False):
    """One complete transaction on port 25; returns the queue ID from the 250."""
    with port25(server, source) as s:
        if starttls:
            s.starttls()
            s.ehlo("mx.example.org")
        s.expect(s.command(f"MAIL FROM:<{sender}>"), 250, what="MAIL")
        s.expect(s.command(f"RCPT TO:<{recipient}>"), 250, what=f"RCPT TO:<{recipient}>")
        s.expect(s.command("DATA"), 354, what="DATA")
        message = make_message(sender or "mailer-daemon@example.org", [recipient], "port 25", marker)
        queued = s.expect(s.send_data(message), 250, "2.0.0", what="end of data")
        assert queued.queue_id, s.fail("250 is not `Ok: queued as ID`")
        s.quit()
    return queued.queue_id


@pytest.mark.parametrize("recipient", [
    TARO.address,
    JIRO.address,
    TARO_ALIAS,
    "Taro@ALATO.example",   # hosted domains match case-insensitively
    "taro@Alato.Example",
])
def test_outside_to_hosted_recipient_is_queued(server, recipient):
    marker = unique_marker("inbound")
    queue_id = deliver(server, OUTSIDE, "sender@example.org", recipient, marker)
    check_spooled(server, queue_id, marker=marker, protocols=("ESMTP",), recipients=(recipient,))


def test_outside_with_starttls_is_received_as_esmtps(server):
    marker = unique_marker("inbound-tls")
    queue_id = deliver(server, OUTSIDE, "sender@example.org", TARO.address, marker, starttls=True)
    check_spooled(server, queue_id, marker=marker, protocols=("ESMTPS",), recipients=(TARO.address,))


def test_outside_null_sender_to_hosted_is_queued(server):
    # RFC 5321 §4.5.5 / §6.1: bounces (null reverse path) must be accepted for local mailboxes.
    marker = unique_marker("bounce")
    queue_id = deliver(server, OUTSIDE, "", TARO.address, marker)
    check_spooled(server, queue_id, marker=marker, protocols=("ESMTP",))


@pytest.mark.parametrize("recipient", ["user@example.net", "someone@example.org"])
def test_inside_may_relay_anywhere(server, recipient):
    # A subscriber on the ISP's own line sends through the port-25 service (seed notice).
    marker = unique_marker("relay-inside")
    queue_id = deliver(server, INSIDE, "subscriber@alato.example", recipient, marker)
    check_spooled(server, queue_id, marker=marker, protocols=("ESMTP",), recipients=(recipient,))


@pytest.mark.parametrize("recipient", ["nobody@alato.example", "nobody@virtual.example", "NOBODY@ALATO.EXAMPLE"])
def test_unknown_local_user_is_550(server, queue_guard, recipient):
    # RFC 5321 §3.3 / RFC 3463: 550 5.1.1 bad destination mailbox.
    with port25(server, OUTSIDE) as s:
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{recipient}>"), 550, "5.1.1", what=f"RCPT TO:<{recipient}>")
        s.expect_one_of(s.command("DATA"), [(554, None), (503, None)], what="DATA with no valid recipient")
        s.quit()
    queue_guard.assert_nothing_queued()


@pytest.mark.parametrize("recipient", ["user@example.net", "USER@EXAMPLE.NET", "user@alato.example.net"])
def test_relay_denied_from_outside(server, queue_guard, recipient):
    # Never an open relay: 554 5.7.1 for a non-hosted domain from outside.
    with port25(server, OUTSIDE) as s:
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{recipient}>"), 554, "5.7.1", what=f"RCPT TO:<{recipient}>")
        s.expect_one_of(s.command("DATA"), [(554, None), (503, None)], what="DATA with no valid recipient")
        s.quit()
    queue_guard.assert_nothing_queued()


RELAY_DENIED = [(554, "5.7.1")]
RELAY_DENIED_OR_NO_SUCH_USER = [(554, "5.7.1"), (550, "5.1.1")]

# Open-relay tricks, each also in mixed case. The ones whose right-hand side is
# a hosted domain may be refused as unknown local users; the others are relay attempts.
RELAY_TRICKS = [
    ("user%example.net@alato.example", RELAY_DENIED_OR_NO_SUCH_USER),
    ("USER%Example.NET@Alato.EXAMPLE", RELAY_DENIED_OR_NO_SUCH_USER),
    ('"user@example.net"@alato.example', RELAY_DENIED_OR_NO_SUCH_USER),
    ('"User@EXAMPLE.net"@ALATO.Example', RELAY_DENIED_OR_NO_SUCH_USER),
    ("@alato.example:user@example.net", RELAY_DENIED),
    ("@ALATO.example:User@Example.NET", RELAY_DENIED),
    ("@alato.example,@virtual.example:user@example.net", RELAY_DENIED),
    ("example.net!user@alato.example", RELAY_DENIED_OR_NO_SUCH_USER),
    ("EXAMPLE.Net!User@Alato.Example", RELAY_DENIED_OR_NO_SUCH_USER),
    ("user@example.net.", RELAY_DENIED),
    ("User@EXAMPLE.NET.", RELAY_DENIED),
    ("user@[198.51.100.7]", RELAY_DENIED),
    ("USER@[198.51.100.7]", RELAY_DENIED),
    ("user@[IPv6:2001:db8::7]", RELAY_DENIED),
]


@pytest.mark.parametrize("recipient,allowed", RELAY_TRICKS, ids=[t[0] for t in RELAY_TRICKS])
def test_open_relay_tricks_from_outside_are_refused(server, queue_guard, recipient, allowed):
    marker = unique_marker("relay-trick")
    with port25(server, OUTSIDE) as s:
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect_one_of(s.command(f"RCPT TO:<{recipient}>"), allowed, what=f"RCPT TO:<{recipient}>")
        # Whatever the RCPT said, try to finish the transaction: nothing may be queued.
        data = s.command("DATA")
        if data.code == 354:
            s.send_data(make_message("sender@example.org", [recipient], "relay trick", marker))
        s.quit()
    queue_guard.assert_nothing_queued(f"RCPT TO:<{recipient}> from outside")


def test_relay_trick_mixed_with_a_valid_recipient_queues_only_the_valid_one(server):
    # A refused recipient next to a good one must not ride along in the envelope.
    marker = unique_marker("relay-mixed")
    with port25(server, OUTSIDE) as s:
        s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
        s.expect(s.command(f"RCPT TO:<{TARO.address}>"), 250)
        s.expect_one_of(s.command("RCPT TO:<user%example.net@alato.example>"), RELAY_DENIED_OR_NO_SUCH_USER)
        s.expect(s.command("DATA"), 354)
        queued = s.expect(s.send_data(make_message("sender@example.org", [TARO.address], "mixed", marker)), 250, "2.0.0")
        s.quit()
    spooled = check_spooled(server, queued.queue_id, marker=marker, protocols=("ESMTP",), recipients=(TARO.address,))
    assert "example.net" not in spooled.envelope.lower(), f"relay recipient in the envelope:\n{spooled.output}"
