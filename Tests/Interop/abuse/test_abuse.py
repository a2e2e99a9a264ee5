"""Abuse controls against the real `portcullis serve`.

One server for the module, written by the interop harness plus an `[abuse]` table whose
`clock_offset_file` lets the scenarios move the server's abuse clock forward (the file holds a
number of seconds added to the wall clock), so limits are seen to release after their window
without sleeping. Client source addresses (127.0.0.x) stand for different subscribers; each
scenario uses its own addresses and accounts, and the clock only moves forward, so the scenarios
do not depend on each other's state.

Run: PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/abuse
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

from interop_harness import INSIDE, JIRO, PortcullisServer, ServerError, maildir_messages, portcullis_binary, wait_until
from smtp_dialog import SMTPDialog

PASSWORD = "Abuse-test passw0rd"
POSTMASTER = "postmaster@alato.example"
CONNECTIONS_PER_MINUTE = 30
WAIT = 60.0


class AbuseServer(PortcullisServer):
    """The harness's server with 100 recipients per message, a short AUTH failure delay, and
    `[abuse]` with the test clock and a local postmaster."""

    def config_text(self, access_prefixes):
        text = super().config_text(access_prefixes)
        text = re.sub(r"(?m)^max_recipients = \d+$", "max_recipients = 100", text)
        text = text.replace("[limits]\n", "[limits]\nauth_failure_delay_ms = 20\n", 1)
        return text + f"""
[abuse]
connections_per_minute = {CONNECTIONS_PER_MINUTE}
postmaster = "{POSTMASTER}"
clock_offset_file = "clock-offset"
"""

    def advance_clock(self, seconds: float) -> None:
        path = self.data_dir / "clock-offset"
        current = float(path.read_text()) if path.exists() else 0.0
        path.write_text(f"{current + seconds}\n")

    def add_account(self, address: str) -> None:
        self.cli("user", "add", address, "--password-stdin", input=PASSWORD + "\n")

    def queue(self) -> dict[str, str]:
        """`queue list`: queue ID -> the message's line (its indented recipient lines left out)."""
        lines = self.cli("queue", "list").stdout.splitlines()
        return {line.split()[0]: line for line in lines if line.strip() and not line[0].isspace()}

    def maildir(self, account: str) -> list[str]:
        return maildir_messages(self.data_dir, account)


@pytest.fixture(scope="module")
def server():
    binary = portcullis_binary()
    if not binary.is_file():
        pytest.fail(f"no portcullis binary at {binary}: build it (swift build) or set PORTCULLIS_BIN")
    instance = AbuseServer("abuse", binary)
    try:
        instance.initialise()
        # The postmaster notice and released mail must reach Maildirs: delivery runs here.
        instance.cli("queue", "resume")
        instance.provision()
        for account in ("owner@alato.example", "rate@alato.example", "burst@alato.example",
                        "burst2@alato.example", POSTMASTER):
            instance.add_account(account)
        instance.start()
    except ServerError as error:
        instance.stop()
        pytest.fail(str(error))
    yield instance
    instance.stop()


def submission(server: AbuseServer, source: str = INSIDE) -> SMTPDialog:
    return SMTPDialog(INSIDE, server.submission_port, source=source, timeout=30)


def login(server: AbuseServer, user: str, password: str = PASSWORD, source: str = INSIDE):
    """A submission session through STARTTLS; returns (dialog, AUTH reply)."""
    s = submission(server, source)
    s.greeting()
    s.ehlo()
    s.starttls()
    s.ehlo()
    return s, s.auth_plain(user, password)


def send(s: SMTPDialog, sender: str, recipients: list[str], marker: str) -> tuple[list, object]:
    """MAIL, pipelined RCPTs, and DATA when at least one recipient was accepted.
    Returns (RCPT replies, final reply or None)."""
    s.expect(s.command(f"MAIL FROM:<{sender}>"), 250, what="MAIL")
    s.send("".join(f"RCPT TO:<{r}>\r\n" for r in recipients))
    replies = s.read_replies(len(recipients))
    if not any(r.code == 250 for r in replies):
        s.command("RSET")
        return replies, None
    s.expect(s.command("DATA"), 354, what="DATA")
    body = (f"From: <{sender}>\r\nTo: undisclosed-recipients:;\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@client.example>\r\n\r\nMarker: {marker}\r\n")
    return replies, s.send_data(body)


def test_connection_rate_421_then_released_after_a_minute(server):
    source = "127.0.0.20"
    for index in range(CONNECTIONS_PER_MINUTE):
        with SMTPDialog(INSIDE, server.smtp_port, source=source) as s:
            s.greeting()
            s.command("QUIT")
    with SMTPDialog(INSIDE, server.smtp_port, source=source) as s:
        reply = s.read_reply()
        s.expect(reply, 421, "4.7.0", what=f"connection {CONNECTIONS_PER_MINUTE + 1} within a minute")
        assert f"{CONNECTIONS_PER_MINUTE} connections per minute" in reply.text, s.fail("the reply does not name the limit")
        assert s.wait_closed(5), s.fail("the server did not close after 421")
    # Another subscriber is not affected.
    with SMTPDialog(INSIDE, server.smtp_port, source="127.0.0.29") as s:
        s.greeting()
    server.advance_clock(61)
    with SMTPDialog(INSIDE, server.smtp_port, source=source) as s:
        s.greeting()


def test_fifty_wrong_passwords_lock_the_script_out_not_the_owner(server):
    owner, attacker, newcomer = "owner@alato.example", "127.0.0.21", "127.0.0.22"
    # The owner has logged in from the inside address before.
    s, reply = login(server, owner)
    s.expect(reply, 235, "2.7.0", what="owner's first login")
    s.close()

    codes: list[str] = []
    while len(codes) < 50:
        with submission(server, attacker) as s:
            greeting = s.read_reply()
            if greeting.code == 421:
                assert "failed logins" in greeting.text, s.fail("421 at connect does not say why")
                codes.append("421")
                continue
            s.ehlo()
            s.starttls()
            s.ehlo()
            # Four guesses per session: the harness allows 5 errors before 421 and close.
            for _ in range(4):
                if len(codes) >= 50:
                    break
                reply = s.auth_plain(owner, f"guess-{uuid.uuid4().hex[:8]}")
                codes.append(f"{reply.code} {reply.enhanced}")
    assert codes[:10] == ["535 5.7.8"] * 10, f"the first ten guesses should be refused as wrong: {codes[:12]}"
    assert all(code in ("454 4.7.0", "421") for code in codes[10:]), f"guesses after the tenth: {codes}"
    assert "421" in codes, f"the blocked address was never refused at connect: {codes}"

    # The owner, from the address it used before, still logs in.
    s, reply = login(server, owner)
    s.expect(reply, 235, "2.7.0", what="owner login from a known address while the account is locked")
    s.close()
    # A new address is refused even with the right password (the lock does not say whether it was).
    s, reply = login(server, owner, source=newcomer)
    s.expect(reply, 454, "4.7.0", what="login from an unknown address while the account is locked")
    s.close()

    status = server.cli("security", "status").stdout
    assert re.search(rf"blocked address\s+{re.escape(attacker)}\b", status), status
    assert re.search(r"locked account\s+owner@alato\.example\b", status), status

    # The lockout (900 s) passes: both addresses work again.
    server.advance_clock(901)
    s, reply = login(server, owner, source=newcomer)
    s.expect(reply, 235, "2.7.0", what="login after the lockout")
    s.close()
    with submission(server, attacker) as s:
        s.greeting()
    assert "owner@alato.example" not in server.cli("security", "status").stdout


def test_security_unblock_lifts_a_block_at_once(server):
    attacker = "127.0.0.23"
    for _ in range(3):
        with submission(server, attacker) as s:
            if s.read_reply().code == 421:
                break
            s.ehlo()
            s.starttls()
            s.ehlo()
            for _ in range(4):
                s.auth_plain(JIRO.address, "not-the-password")
    with submission(server, attacker) as s:
        s.expect(s.read_reply(), 421, "4.7.0", what="connect from the blocked address")
    assert "unblocked 127.0.0.23" in server.cli("security", "unblock", attacker).stdout
    server.cli("security", "unblock", JIRO.address)
    with submission(server, attacker) as s:
        s.greeting()
    result = server.cli("security", "unblock", attacker, check=False)
    assert result.returncode != 0 and "not blocked" in result.stderr


def test_per_account_limits_450_and_452_release_after_their_window(server):
    account = "rate@alato.example"
    shown = server.cli("user", "limits", account, "--messages-per-hour", "2", "--recipients-per-day", "5").stdout
    assert "messages per hour: 2" in shown and "recipients per day: 5" in shown, shown
    before = set(server.queue())
    s, reply = login(server, account)
    s.expect(reply, 235)
    replies, final = send(s, account, [f"r{i}@example.net" for i in range(1, 5)], "rate-1")
    assert [r.code for r in replies] == [250] * 4 and final.code == 250
    replies, final = send(s, account, ["r5@example.net", "r6@example.net"], "rate-2")
    assert replies[0].code == 250, s.fail("fifth recipient of the day")
    s.expect(replies[1], 452, "4.5.3", what="sixth recipient of the day")
    assert "5 recipients per day" in replies[1].text
    s.expect(final, 250, "2.0.0", what="the message with its accepted recipient")
    limited = s.command(f"MAIL FROM:<{account}>")
    s.expect(limited, 450, "4.7.1", what="third message within the hour")
    assert "2 messages per hour" in limited.text
    # Nothing already accepted was dropped.
    assert len(set(server.queue()) - before) == 2
    server.advance_clock(3661)
    s.expect(s.command(f"MAIL FROM:<{account}>"), 250, what="MAIL an hour later")
    s.expect(s.command("RCPT TO:<r7@example.net>"), 452, "4.5.3", what="RCPT still within the day")
    s.command("RSET")
    server.advance_clock(86_400)
    replies, final = send(s, account, ["r8@example.net"], "rate-3")
    assert replies[0].code == 250 and final.code == 250, s.fail("a day later")
    s.close()


def burst(server: AbuseServer, account: str, messages: int) -> list:
    """`messages` messages of 100 recipients each (99 outside, and jiro, who is local);
    returns the final reply of each transaction (the MAIL reply when MAIL was refused)."""
    s, reply = login(server, account)
    s.expect(reply, 235)
    finals = []
    for number in range(messages):
        mail = s.command(f"MAIL FROM:<{account}>")
        if mail.code != 250:
            finals.append(mail)
            continue
        recipients = [f"n{number}-{i}@example.net" for i in range(99)] + [JIRO.address]
        s.send("".join(f"RCPT TO:<{r}>\r\n" for r in recipients))
        codes = [r.code for r in s.read_replies(len(recipients))]
        assert codes == [250] * 100, s.fail(f"message {number + 1}: a recipient was refused: {codes}")
        s.expect(s.command("DATA"), 354)
        marker = f"{account.split('@')[0]}-{number + 1}-{uuid.uuid4().hex[:8]}"
        body = f"From: <{account}>\r\nTo: undisclosed-recipients:;\r\nSubject: {marker}\r\n\r\nMarker: {marker}\r\n"
        final = s.send_data(body)
        final.marker = marker
        finals.append(final)
    s.close()
    return finals


def test_burst_of_500_recipients_is_held_and_the_postmaster_told(server):
    account = "burst@alato.example"
    finals = burst(server, account, 5)
    # 200 recipients pass; the 201st trips the hold: that message is accepted (250) but held,
    # and the account's next transactions are refused.
    assert [f.code for f in finals[:3]] == [250, 250, 250], [str(f) for f in finals]
    for refused in finals[3:]:
        assert refused.code == 550 and refused.enhanced == "5.7.1" and "suspended" in refused.text, str(refused)
    ids = [f.queue_id for f in finals[:3]]
    queue = server.queue()
    assert not queue[ids[0]].endswith("\theld") and "held" not in queue[ids[0]].split("\t")[5:6], queue[ids[0]]
    assert "\theld" in queue[ids[2]], f"the message past the burst is not held: {queue[ids[2]]}"
    assert re.search(r"suspended account\s+burst@alato\.example", server.cli("security", "status").stdout)

    # The postmaster's notice arrives in the postmaster's Maildir through normal delivery.
    notices = wait_until(lambda: [m for m in server.maildir(POSTMASTER) if f"Account {account} held" in m],
                         "the postmaster notice in the postmaster's Maildir", timeout=WAIT)
    assert "portcullis user release burst@alato.example" in notices[0]
    # Mail accepted before the burst is delivered; the held message is not.
    wait_until(lambda: any(finals[1].marker in m for m in server.maildir(JIRO.address)),
               "a message from before the burst in jiro's Maildir", timeout=WAIT)
    time.sleep(3)  # several delivery scans
    assert not any(finals[2].marker in m for m in server.maildir(JIRO.address)), \
        "the held message was delivered: the queue manager must skip Spool.isHeld messages"

    released = server.cli("user", "release", account).stdout
    assert "1 held message(s) released" in released, released
    assert "\theld" not in server.queue().get(ids[2], ""), "still held after release"
    wait_until(lambda: any(finals[2].marker in m for m in server.maildir(JIRO.address)),
               "the released message in jiro's Maildir", timeout=WAIT)
    s, reply = login(server, account)
    s.expect(reply, 235)
    s.expect(s.command(f"MAIL FROM:<{account}>"), 250, what="MAIL after release")
    s.close()


def test_queue_delete_drops_held_mail(server):
    account = "burst2@alato.example"
    finals = burst(server, account, 3)
    held = finals[2].queue_id
    assert held and "\theld" in server.queue()[held]
    server.cli("queue", "delete", held)
    assert held not in server.queue()
    assert "0 held message(s) released" in server.cli("user", "release", account).stdout
