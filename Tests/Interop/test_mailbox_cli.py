"""`portcullis mailbox list|purge` on a real server's Maildirs.

A message for taro@alato.example goes in through the port-25 service (smtplib, from the inside
network) and is delivered into the Maildir by the running server; two older messages are put
beside it the way another deliverer would leave them (one with the delivery second in its unique
name, already seen in cur/; one whose name carries no time, dated by its modification time).
Then the operator's commands are run as a user would: the listing, a purge by age, the refusals.
"""

from __future__ import annotations

import datetime
import os
import smtplib
import time
from pathlib import Path

from interop_harness import INSIDE, JIRO, TARO, TARO_ALIAS, PortcullisServer, unique_marker, wait_until

DAY = 86_400


def maildir(server: PortcullisServer, address: str) -> Path:
    local, domain = address.split("@")
    return server.data_dir / "mailboxes" / domain / local / "Maildir"


def messages(path: Path) -> list[Path]:
    return sorted(p for sub in ("new", "cur") if (path / sub).is_dir() for p in (path / sub).iterdir())


def listing(server: PortcullisServer, address: str) -> dict[str, str]:
    output = server.cli("mailbox", "list", address).stdout
    return dict(line.split("\t", 1) for line in output.splitlines())


def iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(int(seconds), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_mailbox_list_and_purge(fresh_server: PortcullisServer):
    server = fresh_server
    box = maildir(server, TARO.address)

    # An account nothing was delivered to: no Maildir yet, 0 messages.
    empty = listing(server, JIRO.address)
    assert empty["messages"].startswith("0 ") and empty["size"] == "0 octets" and empty["oldest"] == "-"

    # A real delivery: port 25 from the inside network to a hosted address, then delivery runs.
    marker = unique_marker("mailbox")
    with smtplib.SMTP(INSIDE, server.smtp_port, timeout=30, source_address=(INSIDE, 0)) as client:
        client.ehlo("client.alato.example")
        client.sendmail("sender@example.net", [TARO.address],
                        f"From: sender@example.net\r\nTo: {TARO.address}\r\nSubject: {marker}\r\n\r\n{marker}\r\n")
    server.cli("queue", "resume")
    wait_until(lambda: len(messages(box)) == 1, "the message in the Maildir", timeout=60)
    [delivered] = messages(box)
    assert marker in delivered.read_text()

    # Older messages, as another deliverer (or an IMAP server marking one seen) leaves them.
    seen_at = time.time() - 40 * DAY
    seen = box / "cur" / f"{int(seen_at)}.M12P34Q5.elsewhere.example:2,S"
    seen.write_bytes(b"Subject: forty days old\n\nseen\n")
    legacy = box / "new" / "legacy-message-without-a-time"
    legacy.write_bytes(b"Subject: fifty days old\n\nold\n")
    legacy_at = time.time() - 50 * DAY
    os.utime(legacy, (legacy_at, legacy_at))

    listed = listing(server, TARO.address)
    assert listed["address"] == TARO.address
    assert listed["maildir"] == str(box)
    assert listed["messages"] == "3 (2 in new/, 1 in cur/)"
    assert listed["size"] == f"{sum(p.stat().st_size for p in messages(box))} octets"
    assert listed["oldest"] == iso(legacy_at)

    purged = server.cli("mailbox", "purge", TARO.address, "--older-than", "30").stdout
    assert purged.startswith("removed 2 messages (")
    assert TARO.address in purged
    assert messages(box) == [delivered]
    after = listing(server, TARO.address)
    assert after["messages"] == "1 (1 in new/, 0 in cur/)"
    assert after["oldest"] != "-"

    # Nothing older than 30 days is left: a second purge removes nothing.
    assert server.cli("mailbox", "purge", TARO.address, "--older-than", "30").stdout.startswith("removed 0 messages")
    assert messages(box) == [delivered]


def test_mailbox_refuses_what_is_not_an_account(fresh_server: PortcullisServer):
    server = fresh_server
    for address in ("nobody@alato.example", TARO_ALIAS, "someone@example.net"):
        result = server.cli("mailbox", "list", address, check=False)
        assert result.returncode != 0, result.stdout
        assert f"{address} is not an account hosted here" in result.stderr
        result = server.cli("mailbox", "purge", address, "--older-than", "1", check=False)
        assert result.returncode != 0
    result = server.cli("mailbox", "purge", TARO.address, "--older-than", "-3", check=False)
    assert result.returncode != 0 and "--older-than" in result.stderr
    result = server.cli("mailbox", "purge", TARO.address, check=False)
    assert result.returncode != 0 and "--older-than" in result.stderr
