"""Submission policy: sender identity, size, recipients and line-length limits, with exact codes.

Every refused transaction is also checked against the spool: nothing may be queued.
"""

from __future__ import annotations

import pytest

from interop_harness import (
    INSIDE,
    JIRO,
    MAX_MESSAGE_SIZE,
    MAX_RECIPIENTS,
    TARO,
    TARO_ALIAS,
    check_spooled,
    make_message,
    unique_marker,
)
from smtp_dialog import SMTPDialog


def authenticated(server) -> SMTPDialog:
    s = SMTPDialog(INSIDE, server.submission_port)
    s.login_submission(TARO.address, TARO.password)
    return s


@pytest.mark.parametrize("sender", [JIRO.address, "someone@example.org", "taro@virtual.example"])
def test_sender_not_owned_is_553(server, queue_guard, sender):
    # 553 5.7.1, naming the address the account may use.
    with authenticated(server) as s:
        reply = s.expect(s.command(f"MAIL FROM:<{sender}>"), 553, "5.7.1", what=f"MAIL FROM:<{sender}>")
        assert TARO.address in reply.text.lower() or any(TARO.address in l.lower() for l in reply.lines), \
            s.fail("the 553 reply does not name the address the account owns")
        s.expect(s.command("RCPT TO:<friend@example.net>"), 503, what="RCPT after refused MAIL")
        s.quit()
    queue_guard.assert_nothing_queued()


def test_null_sender_after_auth_is_553(server, queue_guard):
    # A bounce (null reverse path, RFC 5321 §4.5.5) is a server's job, never a customer's.
    with authenticated(server) as s:
        s.expect(s.command("MAIL FROM:<>"), 553, what="MAIL FROM:<> after AUTH")
        s.quit()
    queue_guard.assert_nothing_queued()


@pytest.mark.parametrize("from_header", [
    "someone@example.org",
    "Taro Yamada <someone@example.org>",
    JIRO.address,
])
def test_from_header_not_owned_is_553_after_data(server, queue_guard, from_header):
    marker = unique_marker("from-not-owned")
    with authenticated(server) as s:
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 250, what="MAIL")
        s.expect(s.command("RCPT TO:<friend@example.net>"), 250, what="RCPT")
        s.expect(s.command("DATA"), 354, what="DATA")
        message = make_message(TARO.address, ["friend@example.net"], "from", marker, from_header=from_header)
        s.expect(s.send_data(message), 553, "5.7.1", what=f"end of data with From: {from_header}")
        s.quit()
    queue_guard.assert_nothing_queued()


@pytest.mark.parametrize("from_header", [
    f'"Taro Yamada" <{TARO.address}>',
    f"Info desk <{TARO_ALIAS}>",
])
def test_from_header_owned_with_display_name_is_accepted(server, from_header):
    marker = unique_marker("from-owned")
    with authenticated(server) as s:
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 250)
        s.expect(s.command("RCPT TO:<friend@example.net>"), 250)
        s.expect(s.command("DATA"), 354)
        message = make_message(TARO.address, ["friend@example.net"], "from", marker, from_header=from_header)
        queued = s.expect(s.send_data(message), 250, "2.0.0", what=f"From: {from_header}")
        s.quit()
    assert queued.queue_id, s.fail("250 is not `Ok: queued as ID`")
    check_spooled(server, queued.queue_id, marker=marker, protocols=("ESMTPSA",))


def test_declared_size_over_limit_is_552_at_mail(server, queue_guard):
    # RFC 1870 §6.2: a SIZE= above the fixed limit is refused at MAIL with 552 (5.3.4, RFC 3463).
    with authenticated(server) as s:
        s.expect(s.command(f"MAIL FROM:<{TARO.address}> SIZE={MAX_MESSAGE_SIZE + 1}"), 552, "5.3.4",
                 what="MAIL with SIZE over the limit")
        s.expect(s.command(f"MAIL FROM:<{TARO.address}> SIZE={MAX_MESSAGE_SIZE}"), 250,
                 what="MAIL with SIZE equal to the limit")
        s.quit()
    queue_guard.assert_nothing_queued()


def test_body_over_limit_without_size_is_552_after_data(server, queue_guard):
    # SIZE enforced while streaming; a body over max_message_size gets 552 5.3.4.
    marker = unique_marker("too-big")
    line = "x" * 76 + "\r\n"
    body = f"Marker: {marker}\r\n" + line * (MAX_MESSAGE_SIZE * 3 // 2 // len(line))
    with authenticated(server) as s:
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 250)
        s.expect(s.command("RCPT TO:<friend@example.net>"), 250)
        s.expect(s.command("DATA"), 354)
        message = make_message(TARO.address, ["friend@example.net"], "too big", marker, body=body)
        assert len(message) > MAX_MESSAGE_SIZE
        s.expect(s.send_data(message, timeout=60), 552, "5.3.4", what="end of an oversized DATA")
        s.quit()
    queue_guard.assert_nothing_queued()


def test_too_many_recipients_is_452_and_the_rest_is_delivered(server):
    # RFC 5321 §4.5.3.1.10: 452 for recipients over the limit.
    marker = unique_marker("rcpt-limit")
    recipients = [f"r{n}@example.net" for n in range(1, MAX_RECIPIENTS + 2)]
    with authenticated(server) as s:
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 250)
        for recipient in recipients[:MAX_RECIPIENTS]:
            s.expect(s.command(f"RCPT TO:<{recipient}>"), 250, what=f"RCPT {recipient}")
        s.expect(s.command(f"RCPT TO:<{recipients[-1]}>"), 452, "4.5.3",
                 what=f"recipient number {MAX_RECIPIENTS + 1}")
        s.expect(s.command("DATA"), 354)
        queued = s.expect(s.send_data(make_message(TARO.address, recipients, "limit", marker)), 250, "2.0.0")
        s.quit()
    spooled = check_spooled(server, queued.queue_id, marker=marker, protocols=("ESMTPSA",),
                            recipients=tuple(recipients[:MAX_RECIPIENTS]))
    assert recipients[-1] not in spooled.envelope, \
        f"the refused recipient {recipients[-1]} is in the envelope:\n{spooled.output}"


@pytest.mark.parametrize("length", [2100, 4096, 13000, 100_000])
def test_over_long_command_line_is_500(server, length):
    # RFC 5321 §4.5.3.1.4 (512, extended for extensions) and §4.2.4: 500 5.5.2 "line too long".
    # The rest of the long line must be discarded, never read as further commands; the server
    # may then go on (the next NOOP gets 250) or close the connection.
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        s.line("NOOP " + "x" * (length - len("NOOP \r\n")))
        s.expect(s.read_reply(), 500, "5.5.2", what=f"{length}-octet command line")
        extra = s.drain(1.5)
        assert not extra, s.fail(f"{len(extra)} more replies: the tail of the long line was read as commands")
        if not s.closed_by_peer:
            s.line("NOOP")
            after = s.try_read_reply()
            if after is not None:
                s.expect(after, 250, what="NOOP after the long line")
        s.quit()


@pytest.mark.parametrize("command", ["MAIL FROM:<{me}>|RCPT TO:<jörg@example.net>", "MAIL FROM:<{me}>|RCPT TO:<ユーザー@example.net>"],
                         ids=["latin", "japanese"])
def test_utf8_address_without_smtputf8_is_refused(server, command):
    # RFC 6531 §3.4: a non-ASCII address needs the SMTPUTF8 parameter on MAIL; without it the
    # server refuses it with X.6.7 (RFC 6531 §3.6): 553 5.6.7 (550 5.6.7 is also seen).
    mail, rcpt = command.format(me=TARO.address).split("|")
    with authenticated(server) as s:
        s.expect(s.command(mail), 250, what="MAIL without SMTPUTF8")
        s.expect_one_of(s.command(rcpt), [(553, "5.6.7"), (550, "5.6.7")], what=f"{rcpt} without SMTPUTF8")
        s.quit()
