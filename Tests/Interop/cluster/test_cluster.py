"""Two Portcullis nodes on one PostgreSQL directory, one Dovecot as the mailbox tier.

Both nodes are `portcullis serve` processes with their own data directory and spool, the same
`[directory] url` and `[mailbox] store = "lmtp"` into one private Dovecot, whose configuration is
the one `portcullis dovecot-config` writes (passdb and userdb `sql` with the `pgsql` driver on the
same database). What a cluster must show: accounts made on one node work on the other and in
Dovecot; mail submitted to one node is read byte-exact over IMAP; an hourly limit and a
failed-login block hold for the cluster, not per node (within the write-behind second); a node
killed with SIGKILL loses nothing it acknowledged; a PostgreSQL outage answers 4xx on both
nodes, and both recover by themselves.

Run: PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/cluster
"""

from __future__ import annotations

import imaplib
import json
import smtplib
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from dovecot_tier import DovecotTier
from interop_harness import (ARTIFACTS, CLI_TIMEOUT, INSIDE, JIRO, TARO, Account, ServerError, portcullis_binary,
                             unique_marker, wait_until)
from nodes import LMTPNode
from postgres_server import PostgresServer
from smtp_dialog import SMTPDialog

LIMITED = Account("limited@alato.example", "Limited passw0rd 1")
GUESSED = Account("guessed@alato.example", "Guessed passw0rd 1")
NEWCOMER = Account("newcomer@alato.example", "Newcomer passw0rd 1")
HOURLY_LIMIT = 4
# The abuse counters and blocks reach PostgreSQL from each node's write-behind buffer within a
# second (README, "Running several nodes"); waiting a little longer makes the other node see them.
WRITE_BEHIND = 1.6
# Another node's "no block" answer is cached for two seconds; a block is in force on every node after it.
BLOCK_CACHE = 2.6


@pytest.fixture(scope="module")
def cluster():
    binary = portcullis_binary()
    if not binary.is_file():
        pytest.fail(f"no portcullis binary at {binary}: build it (swift build) or set PORTCULLIS_BIN")
    postgres = PostgresServer(ARTIFACTS)
    nodes: list[LMTPNode] = []
    dovecot = None
    try:
        postgres.start()
        database = postgres.create_database()
        migrated = subprocess.run([str(binary), "directory", "migrate", "--directory-url", postgres.url(database)],
                                  capture_output=True, text=True, timeout=CLI_TIMEOUT)
        assert migrated.returncode == 0, migrated.stderr
        table = f'[directory]\nurl = "{postgres.url(database)}"\n'
        first = LMTPNode("cluster-a", binary, lmtp="", directory_table=table)
        dovecot = DovecotTier(first.root.parent / (first.root.name + "-dovecot"))
        first.lmtp = dovecot.lmtp_address
        second = LMTPNode("cluster-b", binary, lmtp=dovecot.lmtp_address, directory_table=table)
        nodes = [first, second]
        for node in nodes:
            node.initialise()
        # Everything is made through node A's command line; node B and Dovecot read it.
        first.provision()
        for account in (LIMITED, GUESSED):
            first.cli("user", "add", account.address, "--password-stdin", input=account.password + "\n")
        first.cli("user", "limits", LIMITED.address, "--messages-per-hour", str(HOURLY_LIMIT))
        dovecot.configure(binary, first.data_dir)
        dovecot.start()
        for node in nodes:
            node.cli("queue", "resume")
            node.start()
    except (ServerError, AssertionError) as error:
        for node in nodes:
            node.stop()
        if dovecot is not None:
            dovecot.remove()
        postgres.stop()
        pytest.fail(str(error))
    yield first, second, dovecot, postgres
    for node in nodes:
        node.stop()
    dovecot.remove()
    postgres.stop()


def submit(node: LMTPNode, account: Account, recipients: list[str], message: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", node.submission_port, timeout=30) as client:
        client.starttls(context=ssl._create_unverified_context())
        client.login(account.address, account.password)
        assert client.sendmail(account.address, recipients, message) == {}


def note(sender: Account, marker: str) -> bytes:
    return f"From: {sender.address}\r\nSubject: {marker}\r\n\r\nMarker: {marker}\r\n".encode()


def markers_in(dovecot: DovecotTier, account: Account, prefix: str) -> set[str]:
    found = set()
    for message in dovecot.messages(account.address, account.password):
        for line in message.split(b"\r\n"):
            if line.startswith(b"Marker: " + prefix.encode()):
                found.add(line[len(b"Marker: "):].decode())
    return found


def submission_login(node: LMTPNode, account: Account, password: str | None = None,
                     source: str = INSIDE) -> tuple[SMTPDialog, object]:
    s = SMTPDialog(INSIDE, node.submission_port, source=source, timeout=30)
    greeting = s.read_reply()
    if greeting.code != 220:
        return s, greeting
    s.ehlo()
    s.starttls()
    s.ehlo()
    return s, s.auth_plain(account.address, password or account.password)


def readyz(node: LMTPNode) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://{INSIDE}:{node.web_port}/readyz", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_an_account_made_on_one_node_logs_in_on_the_other_and_in_dovecot(cluster):
    first, second, dovecot, _ = cluster
    first.cli("user", "add", NEWCOMER.address, "--password-stdin", input=NEWCOMER.password + "\n")
    s, reply = submission_login(second, NEWCOMER)
    s.expect(reply, 235, "2.7.0", what="node B login of an account made on node A")
    s.close()
    dovecot.imap(NEWCOMER.address, NEWCOMER.password).logout()
    second.cli("user", "disable", NEWCOMER.address)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        dovecot.imap(NEWCOMER.address, NEWCOMER.password)


def test_mail_submitted_to_one_node_is_read_byte_exact_over_imap(cluster):
    first, _, dovecot, _ = cluster
    marker = unique_marker("cluster")
    message = (f"From: {TARO.address}\r\nTo: {JIRO.address}\r\nSubject: {marker}\r\n"
               f"Message-ID: <{marker}@client.example>\r\n\r\nMarker: {marker}\r\n.dot line\r\n"
               + "y" * 998 + "\r\nlast line  \r\n").encode()
    submit(first, TARO, [JIRO.address], message)
    stored: list[bytes] = []

    def arrived() -> bool:
        nonlocal stored
        stored = [m for m in dovecot.messages(JIRO.address, JIRO.password) if marker.encode() in m]
        return bool(stored)

    wait_until(arrived, "the message in Dovecot", timeout=60)
    assert stored[0].endswith(message), stored[0][-300:]


def test_the_hourly_limit_holds_for_the_cluster(cluster):
    first, second, _, _ = cluster
    for node in (first, second):
        for _ in range(HOURLY_LIMIT // 2):
            submit(node, LIMITED, [JIRO.address], note(LIMITED, unique_marker("limit")))
    time.sleep(WRITE_BEHIND)
    for node in (first, second):
        s, reply = submission_login(node, LIMITED)
        s.expect(reply, 235)
        refused = s.command(f"MAIL FROM:<{LIMITED.address}>")
        s.expect(refused, 450, "4.7.1", what=f"message {HOURLY_LIMIT + 1} of the hour on {node.root.name}")
        assert f"{HOURLY_LIMIT} messages per hour" in refused.text
        s.close()


def test_ten_wrong_passwords_over_both_nodes_block_the_address_on_both(cluster):
    first, second, _, _ = cluster
    attacker = "127.0.0.41"
    codes: list[int] = []
    for node in (first, second):
        # Five wrong passwords on each node, four and one per session (the harness closes a
        # session after five errors).
        for guesses in (4, 1):
            s, reply = submission_login(node, GUESSED, password="wrong-" + unique_marker("g"), source=attacker)
            codes.append(reply.code)
            for _ in range(guesses - 1):
                codes.append(s.auth_plain(GUESSED.address, "wrong-" + unique_marker("g")).code)
            s.close()
        time.sleep(WRITE_BEHIND)
    assert codes[:9] == [535] * 9, codes
    time.sleep(BLOCK_CACHE)
    for node in (first, second):
        with SMTPDialog(INSIDE, node.submission_port, source=attacker, timeout=30) as s:
            s.expect(s.read_reply(), 421, "4.7.0", what=f"connect from the blocked address to {node.root.name}")
    # The block is the address's: the same account from another line still logs in.
    for node in (first, second):
        s, reply = submission_login(node, GUESSED, source="127.0.0.42")
        assert reply.code in (235, 454), s.fail("login from another address")
        s.close()


def test_a_node_killed_mid_traffic_loses_nothing_it_acknowledged(cluster):
    first, second, dovecot, _ = cluster
    prefix = unique_marker("kill")
    acknowledged: list[str] = []
    stop = threading.Event()

    def traffic() -> None:
        number = 0
        while not stop.is_set() and number < 200:
            number += 1
            marker = f"{prefix}-{number}"
            try:
                submit(first, TARO, [JIRO.address], note(TARO, marker))
            except (OSError, smtplib.SMTPException):
                return  # the node is gone: this message was never acknowledged
            acknowledged.append(marker)

    sender = threading.Thread(target=traffic, daemon=True)
    sender.start()
    wait_until(lambda: len(acknowledged) >= 8, "eight messages acknowledged by node A", timeout=120)
    first.kill9()
    stop.set()
    sender.join(60)
    killed_at = len(acknowledged)
    # The other node keeps serving.
    for number in range(3):
        marker = f"{prefix}-b{number}"
        submit(second, TARO, [JIRO.address], note(TARO, marker))
        acknowledged.append(marker)
    first.start()
    wait_until(lambda: set(acknowledged) <= markers_in(dovecot, JIRO, prefix),
               f"all {len(acknowledged)} acknowledged messages ({killed_at} by node A before SIGKILL) in Dovecot",
               timeout=120)


def test_a_postgresql_outage_answers_4xx_on_both_nodes_and_both_recover(cluster):
    first, second, dovecot, postgres = cluster
    postgres.pause()
    try:
        status, body = readyz(first)
        assert status == 503 and "directory" in json.loads(body)["checks"], body
        assert json.loads(body)["checks"]["directory"] != "ok", body
        for node in (first, second):
            with SMTPDialog(INSIDE, node.smtp_port, timeout=60) as s:
                greeting = s.read_reply()
                if greeting.code == 220:
                    s.ehlo()
                    reply = s.command("MAIL FROM:<someone@example.net>", timeout=30)
                else:
                    reply = greeting
                assert 400 <= reply.code < 500, s.fail(f"{node.root.name} with PostgreSQL down: {reply}")
    finally:
        postgres.resume()

    def recovered(node: LMTPNode) -> bool:
        with SMTPDialog(INSIDE, node.smtp_port, timeout=30) as s:
            if s.read_reply().code != 220:
                return False
            s.ehlo()
            return s.command("MAIL FROM:<someone@example.net>").code == 250

    for node in (first, second):
        wait_until(lambda: recovered(node), f"{node.root.name} accepting mail again", timeout=90)
    wait_until(lambda: readyz(first)[0] == 200, "node A ready again", timeout=30)
    marker = unique_marker("after-outage")
    submit(second, TARO, [JIRO.address], note(TARO, marker))

    def delivered() -> bool:
        if marker in markers_in(dovecot, JIRO, marker):
            return True
        # Dovecot's own first query on its broken PostgreSQL connection can fail: its LMTP
        # answers 451 4.3.0 and the message waits for its retry. Ask for it now.
        second.cli("queue", "flush")
        time.sleep(1)
        return False

    wait_until(delivered, "mail delivered after the outage", timeout=60)
