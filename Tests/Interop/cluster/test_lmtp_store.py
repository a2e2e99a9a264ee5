"""One node, `[mailbox] store = "lmtp"`: local mail goes to a real Dovecot over LMTP, and
customers read it there over IMAP and POP3 with the password Portcullis stores.

Dovecot runs on the configuration `portcullis dovecot-config` writes (passdb and userdb `sql` on
the node's SQLite directory, `default_pass_scheme = CRYPT`), plus a 20 KiB quota for the scenario
where one recipient of a message is over quota and the other is not.

Run: PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/cluster
"""

from __future__ import annotations

import email
import imaplib
import poplib
import smtplib
import socket
import ssl
import subprocess

import pytest

from dovecot_tier import DovecotTier
from interop_harness import (CLI_TIMEOUT, HANAKO_DISABLED, INSIDE, JIRO, TARO, ServerError, portcullis_binary,
                             unique_marker, wait_until)
from nodes import LMTPNode

QUOTA_FULL = "full@alato.example"
QUOTA_ROOM = "room@alato.example"
PASSWORD = "Tier-test passw0rd"
# Dovecot's quota plugin: 20 KiB per mailbox, and over-quota is permanent (552 5.2.2).
QUOTA = """mail_plugins = $mail_plugins quota
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=20K
}"""


@pytest.fixture(scope="module")
def tier():
    binary = portcullis_binary()
    if not binary.is_file():
        pytest.fail(f"no portcullis binary at {binary}: build it (swift build) or set PORTCULLIS_BIN")
    dovecot = None
    node = None
    try:
        node = LMTPNode("lmtp-store", binary, lmtp="127.0.0.1:0")
        dovecot = DovecotTier(node.root.parent / (node.root.name + "-dovecot"))
        node.lmtp = dovecot.lmtp_address
        node.initialise()
        node.provision()
        for account in (QUOTA_FULL, QUOTA_ROOM):
            node.cli("user", "add", account, "--password-stdin", input=PASSWORD + "\n")
        dovecot.configure(binary, node.data_dir, extra=QUOTA)
        dovecot.start()
        node.cli("queue", "resume")
        node.start()
    except (ServerError, AssertionError) as error:
        if node is not None:
            node.stop()
        if dovecot is not None:
            dovecot.remove()
        pytest.fail(str(error))
    yield node, dovecot
    node.stop()
    dovecot.remove()


def submit(node: LMTPNode, sender, recipients: list[str], message: bytes, **options) -> None:
    with smtplib.SMTP("127.0.0.1", node.submission_port, timeout=30) as client:
        client.starttls(context=ssl._create_unverified_context())
        client.login(sender.address, sender.password)
        refused = client.sendmail(sender.address, recipients, message, **options)
        assert refused == {}, refused


def note(marker: str, body: str | None = None) -> bytes:
    """A message from taro (submission checks the From: header) with `marker` in its subject."""
    return (f"From: {TARO.address}\r\nSubject: {marker}\r\n\r\n{body or marker + chr(13) + chr(10)}").encode()


def inbox_with(dovecot: DovecotTier, account, marker: str, count: int = 1) -> list[bytes]:
    found: list[bytes] = []

    def arrived() -> bool:
        nonlocal found
        found = [m for m in dovecot.messages(account.address, account.password) if marker.encode() in m]
        return len(found) >= count

    wait_until(arrived, f"{count} message(s) with {marker} in {account.address}'s INBOX in Dovecot", timeout=60)
    return found


def test_message_is_stored_byte_exact_and_read_over_imap_and_pop3(tier):
    node, dovecot = tier
    marker = unique_marker("lmtp")
    # What a transfer could damage: a leading dot (dot-stuffing), trailing spaces, a 998-octet
    # line, 8-bit UTF-8 text (BODY=8BITMIME), an empty line before the end.
    body = (f"Marker: {marker}\r\n.a line that starts with a dot\r\n..two dots\r\ntrailing spaces   \r\n"
            + "x" * 998 + "\r\n" + "日本語の本文です。\r\n\r\nend\r\n")
    message = (f"From: {TARO.address}\r\nTo: {JIRO.address}\r\nSubject: byte exact {marker}\r\n"
               f"Message-ID: <{marker}@client.example>\r\nMIME-Version: 1.0\r\n"
               f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}").encode()
    submit(node, TARO, [JIRO.address], message, mail_options=["BODY=8BITMIME"])
    stored = inbox_with(dovecot, JIRO, marker)[0]
    # Portcullis and Dovecot prepend trace headers; everything the client sent follows unchanged.
    assert stored.endswith(message), stored[-400:]
    parsed = email.message_from_bytes(stored)
    assert parsed["Delivered-To"] == JIRO.address
    assert parsed["Return-Path"] == f"<{TARO.address}>"

    context = ssl._create_unverified_context()
    pop = poplib.POP3_SSL("127.0.0.1", dovecot.pop3s_port, context=context, timeout=30)
    try:
        pop.user(JIRO.address)
        pop.pass_(JIRO.password)
        texts = [b"\r\n".join(pop.retr(n + 1)[1]) for n in range(len(pop.list()[1]))]
    finally:
        pop.quit()
    assert any(marker.encode() in text for text in texts)
    # Portcullis serves no POP3 of its own here (its listeners are off): Dovecot has the mail.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((INSIDE, node.pop3s_port), timeout=5).close()


def test_disabled_account_cannot_log_in_to_dovecot(tier):
    node, dovecot = tier
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        dovecot.imap(HANAKO_DISABLED.address, HANAKO_DISABLED.password)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        dovecot.imap(TARO.address, "not the password")
    # Case does not matter for the address, as with Portcullis' own logins.
    dovecot.imap(TARO.address.upper(), TARO.password).logout()
    # A disabled account still receives mail, as with Maildir delivery.
    marker = unique_marker("disabled")
    submit(node, TARO, [HANAKO_DISABLED.address], note(marker))
    wait_until(lambda: not node.queue_ids(), "the message to the disabled account delivered", timeout=60)
    node.cli("user", "enable", HANAKO_DISABLED.address)
    try:
        assert inbox_with(dovecot, HANAKO_DISABLED, marker)
    finally:
        node.cli("user", "disable", HANAKO_DISABLED.address)


def test_each_recipient_gets_its_own_lmtp_reply_and_dsn(tier):
    node, dovecot = tier
    full = type(TARO)(QUOTA_FULL, PASSWORD)
    room = type(TARO)(QUOTA_ROOM, PASSWORD)
    filler = unique_marker("filler")
    # About 16 KiB of the 20 KiB quota.
    submit(node, TARO, [QUOTA_FULL], note(filler, ("f" * 76 + "\r\n") * 210))
    inbox_with(dovecot, full, filler)

    marker = unique_marker("quota")
    message = (f"From: {TARO.address}\r\nSubject: {marker}\r\n\r\n" + ("q" * 76 + "\r\n") * 80).encode()
    submit(node, TARO, [QUOTA_FULL, QUOTA_ROOM], message)
    # The recipient with room has it; the full one is refused by Dovecot with 552 5.2.2, which
    # fails that recipient alone and returns a DSN to the sender (delivered over LMTP too).
    inbox_with(dovecot, room, marker)
    reports = inbox_with(dovecot, TARO, marker, count=1)
    dsn = [m for m in reports if b"multipart/report" in m]
    assert dsn, "no DSN for the over-quota recipient"
    text = dsn[0].decode(errors="replace")
    assert f"Final-Recipient: rfc822; {QUOTA_FULL}" in text
    assert "Status: 5.2.2" in text
    # Only the failed recipient is reported.
    assert f"Final-Recipient: rfc822; {QUOTA_ROOM}" not in text
    assert not [m for m in dovecot.messages(full.address, full.password) if marker.encode() in m]
    wait_until(lambda: not node.queue_ids(), "the queue empty after the DSN", timeout=60)


def test_dovecot_down_defers_then_the_queue_delivers(tier):
    node, dovecot = tier
    dovecot.stop()
    try:
        marker = unique_marker("down")
        submit(node, TARO, [JIRO.address], note(marker))

        def deferred() -> bool:
            listing = node.cli("queue", "list").stdout
            return "deferred" in listing and "451 4.4.1" in listing and "LMTP" in listing

        wait_until(deferred, "the message deferred with 451 4.4.1 while Dovecot is down", timeout=60)
    finally:
        dovecot.start()
    node.cli("queue", "flush")
    inbox_with(dovecot, JIRO, marker)
    wait_until(lambda: not node.queue_ids(), "the queue empty once Dovecot is back", timeout=60)


@pytest.mark.parametrize("table, key", [
    ('[pop3]\nlisten = ["127.0.0.1:2110"]\n', "pop3.listen"),
    ("", "mailbox.lmtp"),
])
def test_misconfigured_store_is_refused_in_one_line(tier, table, key):
    node, _ = tier
    config = (node.data_dir / "portcullis.toml").read_text()
    text = config.replace(f'lmtp = "{node.lmtp}"\n', "") if key == "mailbox.lmtp" else config + "\n"
    if table:
        text = text.replace("[pop3]\nlisten = []\n", table)
    broken = node.root / f"broken-{key}.toml"
    broken.write_text(text)
    result = subprocess.run([str(node.binary), "queue", "list", "--config", str(broken)],
                            capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert result.returncode != 0
    assert key in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_mailbox_commands_refuse_and_name_dovecots_tools(tier):
    node, _ = tier
    for args in (("mailbox", "list", JIRO.address), ("mailbox", "purge", JIRO.address, "--older-than", "30")):
        result = node.cli(*args, check=False)
        assert result.returncode != 0
        assert "LMTP server" in result.stderr and "doveadm" in result.stderr, result.stderr
