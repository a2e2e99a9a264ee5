"""`portcullis queue list | retry ID | delete ID [--bounce]` against a running server and real peers.

One Portcullis server for the module. Its routes send `down.example` to a loopback port where
nothing listens (until a scenario starts Postfix's smtp-sink there) and `soft.example` to an
smtp-sink that answers every RCPT with a 4xx. `retry_initial` is an hour, so a recipient that
was deferred is retried within the test only when the operator asks for it.

Mail is injected through the port-25 service from the inside network (relay allowed) with
smtplib, from taro@alato.example, a hosted account: bounces land in taro's Maildir, where
Python's email package parses them.
"""

from __future__ import annotations

import email
import email.policy
import re
import smtplib
import time
import uuid

import pytest

from interop_harness import INSIDE, TARO, PortcullisServer, ServerError, portcullis_binary, wait_until
from delivery_peers import SmtpSink, free_port, require

RETRY_INITIAL = 3600


class QueueServer(PortcullisServer):
    def __init__(self, routes: dict[str, int]) -> None:
        super().__init__("queue-commands", portcullis_binary())
        self.routes = routes

    def config_text(self, access_prefixes):
        text = super().config_text(access_prefixes)
        start, end = text.index("[delivery]"), text.index("[[access_networks]]")
        routes = ", ".join(f'"{domain}" = "127.0.0.1:{port}"' for domain, port in self.routes.items())
        return text[:start] + f"""[delivery]
nameservers = []
routes = {{ {routes} }}
retry_initial = {RETRY_INITIAL}
retry_max = {RETRY_INITIAL}

""" + text[end:]

    def listing(self) -> dict[str, dict]:
        """`queue list` parsed: ID -> {"fields": [...], "recipients": {address: (state, last error)}}."""
        messages: dict[str, dict] = {}
        current = None
        for line in self.cli("queue", "list").stdout.splitlines():
            if line.startswith("    "):
                fields = line.strip().split("\t")
                address = fields[0].strip("<>")
                current["recipients"][address] = (fields[1], fields[2] if len(fields) > 2 else None)
            elif line.strip():
                fields = line.split("\t")
                current = messages[fields[0]] = {"fields": fields, "recipients": {}}
        return messages

    def mailbox(self, account: str) -> list[str]:
        local, domain = account.split("@")
        new = self.data_dir / "mailboxes" / domain / local / "Maildir" / "new"
        return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(new.iterdir())] if new.is_dir() else []


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("queue-commands")
    for program in ("smtp-sink",):
        try:
            require(program)
        except RuntimeError as error:
            pytest.fail(str(error))
    soft = SmtpSink(root, options=["-r", "RCPT"])
    down_port = free_port()   # nothing listens here until a scenario starts a sink
    server = QueueServer({"down.example": down_port, "soft.example": soft.port})
    try:
        server.initialise()
        server.cli("queue", "resume")
        server.provision()
        server.start()
    except ServerError as error:
        server.stop()
        soft.stop()
        pytest.fail(str(error))
    started: list[SmtpSink] = []
    try:
        yield {"server": server, "soft": soft, "down_port": down_port, "root": root, "sinks": started}
    finally:
        server.stop()
        soft.stop()
        for sink in started:
            sink.stop()


def relay(server: PortcullisServer, sender: str, recipients: list[str], marker: str) -> str:
    """Sends through the port-25 service from the inside network; returns the queue ID."""
    message = (f"From: <{sender or 'mailer-daemon@example.net'}>\r\nTo: {', '.join(recipients)}\r\n"
               f"Subject: {marker}\r\nMessage-ID: <{marker}@alato.example>\r\n\r\nMarker: {marker}\r\n")
    with smtplib.SMTP(INSIDE, server.smtp_port, timeout=30, source_address=(INSIDE, 0)) as client:
        client.ehlo("client.alato.example")
        client.mail(sender)
        for recipient in recipients:
            code, text = client.rcpt(recipient)
            assert code == 250, (recipient, code, text)
        code, text = client.data(message.encode())
        assert code == 250, (code, text)
    found = re.search(r"queued as (\S+)", text.decode())
    assert found, text
    return found.group(1)


def deferred_everywhere(server: QueueServer, queue_id: str, addresses: list[str]):
    """The listing of `queue_id` once every address is deferred with a last error."""
    def check():
        entry = server.listing().get(queue_id)
        if entry and all(entry["recipients"].get(a, ("", None))[0] == "deferred" and entry["recipients"][a][1]
                         for a in addresses):
            return entry
        return None
    return wait_until(check, f"{addresses} deferred in `queue list`")


def parse_bounce(text: str):
    message = email.message_from_string(text, policy=email.policy.compat32)
    assert message.get_content_type() == "multipart/report", message.get_content_type()
    assert message.get_param("report-type") == "delivery-status"
    status = next(part for part in message.walk() if part.get_content_type() == "message/delivery-status")
    # email parses message/delivery-status into its blocks: the per-message one, then one per recipient.
    blocks = status.get_payload()
    return message, blocks[0], blocks[1:]


def test_01_list_shows_each_recipient_with_its_state_and_last_error(world):
    server = world["server"]
    marker = f"list-{uuid.uuid4().hex[:12]}"
    queue_id = relay(server, TARO.address, ["alice@down.example", "bob@soft.example"], marker)
    entry = deferred_everywhere(server, queue_id, ["alice@down.example", "bob@soft.example"])
    fields = entry["fields"]
    assert fields[0] == queue_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", fields[1]), fields
    assert int(fields[2]) > len(marker)
    assert fields[3] == f"<{TARO.address}>"
    assert fields[-1] == "deferred"
    # Nothing listens on down.example's port: our own 4xx with an enhanced code.
    state, error = entry["recipients"]["alice@down.example"]
    assert re.match(r"4\d\d 4\.\d+\.\d+ ", error), error
    # smtp-sink's own RCPT reply, and where it came from.
    state, error = entry["recipients"]["bob@soft.example"]
    assert re.match(r"4\d\d ", error) and "(from 127.0.0.1)" in error, error
    world["list_id"] = queue_id


def test_02_retry_id_retries_one_message_now(world):
    server, root = world["server"], world["root"]
    queue_id = world["list_id"]
    # The destination comes back; without `retry` nothing is tried for an hour.
    sink = SmtpSink(root, port=world["down_port"])
    world["sinks"].append(sink)
    time.sleep(3)
    assert not sink.messages(), "retried before it was due"
    result = server.cli("queue", "retry", queue_id)
    assert queue_id in result.stdout
    dump = wait_until(lambda: next((m for m in sink.messages() if queue_id in m or "alice@down.example" in m), None),
                      "the retried message at smtp-sink", timeout=15)
    assert "X-Rcpt-Args: <alice@down.example>" in dump
    entry = wait_until(lambda: (e := server.listing().get(queue_id)) and
                       e["recipients"]["alice@down.example"][0] == "delivered" and e, "alice delivered in `queue list`")
    state, error = entry["recipients"]["bob@soft.example"]
    assert state == "deferred" and error, "the other recipient still waits"


def test_03_delete_bounce_removes_it_and_bounces_the_undelivered_recipients(world):
    server = world["server"]
    queue_id = world["list_id"]
    before = len(server.mailbox(TARO.address))
    result = server.cli("queue", "delete", queue_id, "--bounce")
    assert queue_id in result.stdout
    wait_until(lambda: queue_id not in server.listing(), "the message to leave the queue")
    bounces = wait_until(lambda: server.mailbox(TARO.address)[before:], "the bounce in taro's Maildir")
    assert len(bounces) == 1
    message, per_message, recipients = parse_bounce(bounces[0])
    assert message["Auto-Submitted"] == "auto-replied"
    assert bounces[0].startswith("Return-Path: <>")
    assert len(recipients) == 1, "only bob was undelivered"
    recipient = recipients[0]
    assert recipient["Final-Recipient"] == "rfc822; bob@soft.example"
    assert recipient["Action"] == "failed"
    assert recipient["Status"] == "5.0.0"
    assert "deleted from the queue by the operator" in recipient["Diagnostic-Code"]
    returned = next(part for part in message.walk() if part.get_content_type() == "message/rfc822")
    assert "list-" in returned.as_string(), "the original is attached"


def test_04_plain_delete_is_silent(world):
    server = world["server"]
    marker = f"silent-{uuid.uuid4().hex[:12]}"
    queue_id = relay(server, TARO.address, ["carol@soft.example"], marker)
    deferred_everywhere(server, queue_id, ["carol@soft.example"])
    before = len(server.mailbox(TARO.address))
    server.cli("queue", "delete", queue_id)
    assert queue_id not in server.listing()
    time.sleep(3)   # several scans of the running server
    assert len(server.mailbox(TARO.address)) == before, "plain delete sent a bounce"
    assert not server.listing(), "nothing queued (no bounce on its way)"


def test_05_delete_bounce_of_a_null_sender_message_sends_nothing(world):
    server = world["server"]
    marker = f"null-{uuid.uuid4().hex[:12]}"
    queue_id = relay(server, "", ["dave@soft.example"], marker)
    deferred_everywhere(server, queue_id, ["dave@soft.example"])
    server.cli("queue", "delete", queue_id, "--bounce")
    wait_until(lambda: not server.listing(), "the queue to empty")
    time.sleep(2)
    assert not server.listing(), "a bounce of a bounce was queued"


def test_06_unknown_or_malformed_id_is_one_line_on_stderr(world):
    server = world["server"]
    missing = "0K8Q6Z4V3D2XJ7"
    assert missing not in server.listing()
    for args in (("queue", "retry", missing), ("queue", "delete", missing, "--bounce"), ("queue", "delete", missing),
                 ("queue", "retry", "not-an-id")):
        result = server.cli(*args, check=False)
        assert result.returncode != 0, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and args[2] in lines[0], (args, result.stderr)
        assert not result.stdout, (args, result.stdout)


def test_07_retry_requested_while_the_server_is_down_runs_at_the_next_start(world):
    server = world["server"]
    marker = f"restart-{uuid.uuid4().hex[:12]}"
    queue_id = relay(server, TARO.address, ["erin@soft.example"], marker)
    deferred_everywhere(server, queue_id, ["erin@soft.example"])
    server.stop()
    # soft.example now accepts: point its port at a working sink by restarting the soft sink.
    soft = world["soft"]
    soft.stop()
    healthy = SmtpSink(world["root"], port=soft.port)
    world["sinks"].append(healthy)
    server.cli("queue", "retry", queue_id)
    server.start()
    dump = wait_until(lambda: next((m for m in healthy.messages() if "erin@soft.example" in m), None),
                      "the message retried after the restart", timeout=15)
    assert marker in dump
    wait_until(lambda: queue_id not in server.listing(), "the message to leave the queue")
