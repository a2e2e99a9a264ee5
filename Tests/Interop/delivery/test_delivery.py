"""Delivery scenarios against real peers.

One Portcullis server per module, configured so that:
  - DNS is a real dnsmasq on a loopback port: `example.net` has an MX pointing at 127.0.0.1,
    `nullmx.example.org` has a null MX (RFC 7505), `nxdomain.example.org` does not exist;
  - MX hosts are reached on `smtp_port`, where Postfix's smtp-sink listens;
  - `flaky.example` is routed statically (`[delivery] routes`) to a scripted server that
    answers 451 then 250 (`later*`) or 550 (`reject*`).

Mail is injected as a client would: swaks through submission (587, STARTTLS, AUTH) and
smtplib through the port-25 service from the inside network.
"""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from interop_harness import INSIDE, TARO, PortcullisServer, ServerError, maildir_messages, portcullis_binary
from delivery_peers import Dnsmasq, ScriptedServer, SmtpSink, free_port, require

WAIT = 60.0


def wait_until(predicate, timeout: float = WAIT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class DeliveryServer(PortcullisServer):
    """The interop harness's server with a `[delivery]` section pointing at our peers."""

    def __init__(self, name: str, dns_port: int, mx_port: int, routes: dict[str, int]) -> None:
        super().__init__(name, portcullis_binary())
        self.dns_port, self.mx_port, self.routes = dns_port, mx_port, routes

    def config_text(self, access_prefixes):
        text = super().config_text(access_prefixes)
        start = text.index("[delivery]")
        end = text.index("[[access_networks]]")
        delivery = f"""[delivery]
nameservers = ["127.0.0.1:{self.dns_port}"]
smtp_port = {self.mx_port}
routes = {{ {", ".join(f'"{domain}" = "127.0.0.1:{port}"' for domain, port in self.routes.items())} }}
retry_initial = 1
retry_max = 10

"""
        # The kill -9 scenario sends 1,000 messages from one address within seconds: lift the
        # per-client rate limits that would otherwise refuse most of them.
        abuse = """[abuse]
messages_per_hour = 1000000
recipients_per_day = 1000000
connections_per_minute = 100000

"""
        text = text[:start] + delivery + abuse + text[end:]
        return text

    def maildir(self, account: str) -> list[str]:
        return maildir_messages(self.data_dir, account)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("delivery")
    for program in ("dnsmasq", "smtp-sink", "swaks"):
        try:
            require(program)
        except RuntimeError as error:
            pytest.fail(str(error))
    mx_port = free_port()
    dns = Dnsmasq(root, [
        "--local=/example.net/", "--local=/example.org/",
        "--mx-host=example.net,mx.example.net,10",
        "--host-record=mx.example.net,127.0.0.1",
        "--dns-rr=nullmx.example.org,15,000000",
        # The preferred MX is down (nothing listens on 127.0.0.2), the backup works.
        "--mx-host=backup.example.net,mx-dead.example.net,10",
        "--mx-host=backup.example.net,mx.example.net,20",
        "--host-record=mx-dead.example.net,127.0.0.2",
    ])
    sink = SmtpSink(root, port=mx_port)
    flaky = ScriptedServer()
    small = ScriptedServer(size_limit=2000)
    cert, key = root / "tls-cert.pem", root / "tls-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=tls.example"], check=True, capture_output=True, timeout=60)
    secure = ScriptedServer(tls_files=(cert, key))
    broken = ScriptedServer(broken_tls=True)
    later_port = free_port()  # nothing listens here until test_12 starts a server
    server = DeliveryServer("delivery", dns.port, mx_port, {
        "flaky.example": flaky.port, "small.example": small.port, "tls.example": secure.port,
        "badtls.example": broken.port, "downup.example": later_port})
    try:
        server.initialise()
        # The shared harness pauses delivery so other suites can inspect the queue
        # (`queue pause`); these scenarios need it running.
        server.cli("queue", "resume")
        server.provision()
        server.start()
    except ServerError as error:
        server.stop()
        pytest.fail(str(error))
    try:
        yield {"server": server, "sink": sink, "flaky": flaky, "small": small, "secure": secure, "broken": broken, "later_port": later_port, "dns": dns, "root": root}
    finally:
        server.stop()
        sink.stop()
        dns.stop()
        flaky.stop()
        small.stop()
        secure.stop()
        broken.stop()


def relay(server: PortcullisServer, sender: str, recipients: list[str], subject: str, marker: str,
          extra_headers: str = "", padding: int = 0, smtputf8: bool = False) -> None:
    """Sends through the port-25 service from the inside network (relay allowed)."""
    message = (f"From: <{sender or 'mailer-daemon@example.net'}>\r\nTo: {', '.join(recipients)}\r\n"
               f"Subject: {subject}\r\nMessage-ID: <{marker}@alato.example>\r\n{extra_headers}\r\n"
               f"Marker: {marker}\r\n.leading dot line\r\n" + ("x" * 70 + "\r\n") * (padding // 72))
    with smtplib.SMTP(INSIDE, server.smtp_port, timeout=30, source_address=(INSIDE, 0)) as client:
        client.ehlo("client.alato.example")
        options = ["SMTPUTF8"] if smtputf8 else []
        refused = client.sendmail(sender, recipients, message.encode(), mail_options=options)
        assert not refused, refused



def state_recipients(path):
    """The recipients' delivery state from a spool state file (`{"version": 2, "recipients": [...]}`)."""
    return json.loads(path.read_text(encoding="utf-8"))["recipients"]

def test_01_submission_to_outside_arrives_at_the_mx_found_through_dns(world):
    server, sink = world["server"], world["sink"]
    marker = f"mx-{uuid.uuid4().hex}"
    # The test certificate is self-signed: STARTTLS without verification, then AUTH.
    swaks = subprocess.run(
        ["swaks", "--server", f"{INSIDE}:{server.submission_port}", "--tls",
         "--auth", "PLAIN", "--auth-user", TARO.address, "--auth-password", TARO.password,
         "--from", TARO.address, "--to", "bob@example.net", "--header", f"Subject: {marker}",
         "--body", f"Body {marker}\n.dot line\n"],
        capture_output=True, text=True, timeout=60)
    assert swaks.returncode == 0, swaks.stdout + swaks.stderr
    dump = wait_until(lambda: next((m for m in sink.messages() if marker in m), None), what="the message at smtp-sink")
    assert f"Subject: {marker}" in dump
    assert "\n.dot line" in dump and "..dot line" not in dump, "dot-stuffing must be undone by the receiver"
    assert "X-Rcpt-Args: <bob@example.net>" in dump
    assert "Received:" in dump
    wait_until(lambda: not server.queue_ids(), what="the queue to empty")


def test_02_hosted_recipient_lands_in_the_maildir(world):
    server = world["server"]
    marker = f"local-{uuid.uuid4().hex}"
    relay(server, "someone@example.net", ["jiro@virtual.example"], "Local", marker)
    stored = wait_until(lambda: next((m for m in server.maildir("jiro@virtual.example") if marker in m), None),
                        what="the Maildir file")
    assert stored.startswith("Return-Path: <someone@example.net>\nDelivered-To: jiro@virtual.example\n")
    assert "\r\n" not in stored


def test_03_remote_451_is_retried_and_delivered(world):
    server, flaky = world["server"], world["flaky"]
    marker = f"retry-{uuid.uuid4().hex}"
    relay(server, TARO.address, ["later-1@flaky.example"], "Retry", marker)
    wait_until(lambda: any(marker.encode() in m["data"] for m in flaky.messages), what="delivery after the retry")
    assert flaky.attempts["later-1@flaky.example"] == 2, flaky.attempts
    assert not [m for m in server.maildir(TARO.address) if marker in m], "no bounce for a retried message"


def test_04_remote_550_bounces_to_the_sender_with_the_reply(world):
    server = world["server"]
    marker = f"bounce-{uuid.uuid4().hex}"
    relay(server, TARO.address, ["reject-me@flaky.example"], "Bounce", marker)
    bounce = wait_until(lambda: next((m for m in server.maildir(TARO.address) if marker in m), None),
                        what="the bounce in the sender's Maildir")
    assert "Content-Type: multipart/report; report-type=delivery-status" in bounce
    assert "Final-Recipient: rfc822; reject-me@flaky.example" in bounce
    assert "Action: failed" in bounce
    assert "Status: 5.1.1" in bounce
    assert "Recipient address rejected: no such user here" in bounce
    assert "Return-Path: <>" in bounce


def test_05_null_mx_bounces_at_once(world):
    server, sink = world["server"], world["sink"]
    marker = f"nullmx-{uuid.uuid4().hex}"
    before = len(sink.messages())
    relay(server, TARO.address, ["user@nullmx.example.org"], "Null MX", marker)
    bounce = wait_until(lambda: next((m for m in server.maildir(TARO.address) if marker in m), None),
                        what="the null-MX bounce")
    assert "Status: 5.1.10" in bounce
    assert len(sink.messages()) == before


def test_06_nonexistent_domain_bounces(world):
    server = world["server"]
    marker = f"nx-{uuid.uuid4().hex}"
    relay(server, TARO.address, ["user@nxdomain.example.org"], "NXDOMAIN", marker)
    bounce = wait_until(lambda: next((m for m in server.maildir(TARO.address) if marker in m), None),
                        what="the NXDOMAIN bounce")
    assert "Status: 5.1.2" in bounce


def test_07_null_sender_failure_is_not_bounced(world):
    server, flaky = world["server"], world["flaky"]
    marker = f"nullsender-{uuid.uuid4().hex}"
    before = len(server.maildir(TARO.address))
    relay(server, "", ["reject-null@flaky.example"], "Null sender", marker)
    wait_until(lambda: flaky.attempts.get("reject-null@flaky.example"), what="the attempt")
    wait_until(lambda: not server.queue_ids(), what="the queue to empty")
    assert len(server.maildir(TARO.address)) == before


def test_09_starttls_is_used_when_offered(world):
    server, secure = world["server"], world["secure"]
    marker = f"tls-{uuid.uuid4().hex}"
    relay(server, TARO.address, ["user@tls.example"], "TLS", marker)
    received = wait_until(lambda: next((m for m in secure.messages if marker.encode() in m["data"]), None),
                          what="delivery over STARTTLS")
    assert received["tls"], "the message went in clear text although STARTTLS was offered"


def test_09b_failed_tls_handshake_defers_instead_of_sending_in_clear(world):
    server, broken = world["server"], world["broken"]
    marker = f"badtls-{uuid.uuid4().hex}"
    relay(server, TARO.address, ["user@badtls.example"], "Bad TLS", marker)

    def deferred_state():
        for queue_id in server.queue_ids():
            path = server.data_dir / "spool" / "queue" / f"{queue_id}.state"
            if not path.is_file():
                continue
            for recipient in state_recipients(path):
                reply = recipient.get("lastReply") or {}
                if recipient.get("state") == "deferred" and "TLS" in " ".join(reply.get("lines", [])):
                    return queue_id, recipient
        return None

    queue_id, recipient = wait_until(deferred_state, what="a deferred recipient with a TLS error")
    try:
        assert recipient["lastReply"].get("enhanced") == [4, 7, 0], recipient
        assert not broken.messages, "nothing may go in clear text when TLS fails and fallback is off"
    finally:
        server.cli("queue", "delete", queue_id)


def test_10_message_over_the_remote_size_limit_bounces(world):
    server, small = world["server"], world["small"]
    marker = f"size-{uuid.uuid4().hex}"
    relay(server, TARO.address, ["big@small.example"], "Too big", marker, padding=5000)
    bounce = wait_until(lambda: next((m for m in server.maildir(TARO.address) if marker in m), None),
                        what="the SIZE bounce")
    assert "Status: 5.3.4" in bounce
    assert not small.attempts, "nothing may be sent to a server whose SIZE is too small"


def test_11_smtputf8_needed_but_not_offered_bounces(world):
    server, flaky = world["server"], world["flaky"]
    marker = f"utf8-{uuid.uuid4().hex}"
    relay(server, TARO.address, ["\u3086\u30fc\u3056\u30fc@flaky.example"], "UTF-8", marker, smtputf8=True)
    bounce = wait_until(lambda: next((m for m in server.maildir(TARO.address) if marker in m), None),
                        what="the SMTPUTF8 bounce")
    assert "Status: 5.6.7" in bounce
    assert not any(marker.encode() in m["data"] for m in flaky.messages)


def test_12_remote_down_then_up_is_delivered_after_it_comes_back(world):
    server = world["server"]
    marker = f"downup-{uuid.uuid4().hex}"
    relay(server, TARO.address, ["user@downup.example"], "Down then up", marker)

    def deferred():
        for queue_id in server.queue_ids():
            path = server.data_dir / "spool" / "queue" / f"{queue_id}.state"
            if path.is_file() and any(r.get("state") == "deferred" for r in state_recipients(path)):
                return queue_id
        return None

    wait_until(deferred, what="the recipient to be deferred while the remote is down")
    peer = ScriptedServer(port=world["later_port"])
    try:
        wait_until(lambda: any(marker.encode() in m["data"] for m in peer.messages), what="delivery once the remote is up")
    finally:
        peer.stop()


def test_13_every_mx_is_tried_in_preference_order(world):
    server, sink = world["server"], world["sink"]
    marker = f"backup-{uuid.uuid4().hex}"
    relay(server, TARO.address, ["user@backup.example.net"], "Backup MX", marker)
    wait_until(lambda: any(marker in m for m in sink.messages()), what="delivery through the backup MX")


def test_08_kill9_mid_delivery_loses_nothing(world):
    """Messages acknowledged with 250 all arrive after SIGKILL and restart; duplicates are
    limited to transactions in flight at the kill, and their count is reported."""
    server, sink = world["server"], world["sink"]
    total, kill_points = 1000, {300, 650}
    run = uuid.uuid4().hex[:8]
    acked: list[str] = []
    kills = 0
    for index in range(total):
        if index in kill_points:
            server.kill9()
            kills += 1
            server.start()
        marker = f"k9-{run}-{index:05d}"
        try:
            relay(server, TARO.address, [f"bulk{index % 7}@example.net"], f"bulk {index}", marker)
            acked.append(marker)
        except (smtplib.SMTPException, OSError):
            pass  # not acknowledged: not owed
    assert kills == len(kill_points)
    def all_arrived():
        dumps = "\n".join(m for m in sink.messages() if f"k9-{run}-" in m)
        return all(f"Marker: {marker}" in dumps for marker in acked)

    try:
        wait_until(all_arrived, timeout=240, what="every acknowledged message at the sink after the restarts")
    except AssertionError:
        pass  # reported below as lost messages, by name
    time.sleep(2)  # let anything still in flight land before counting duplicates
    dumps = "\n".join(m for m in sink.messages() if f"k9-{run}-" in m)
    # Markers have a fixed width, so none is a prefix of another.
    counts = {marker: dumps.count(f"Marker: {marker}") for marker in acked}
    lost = [marker for marker, count in counts.items() if count == 0]
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    print(f"kill -9 x{kills}: {len(acked)} acknowledged, {len(lost)} lost, {duplicates} duplicates")
    (world["root"] / "kill9-report.txt").write_text(
        f"acknowledged={len(acked)} lost={len(lost)} duplicates={duplicates}\n", encoding="utf-8")
    assert len(acked) >= total * 0.9, f"only {len(acked)} of {total} submissions were acknowledged: the test proves little"
    assert not lost, f"lost after kill -9: {lost[:10]}"
    # At most one transaction per open connection (20) can be in flight at each kill.
    assert duplicates <= 20 * kills, f"{duplicates} duplicates: more than the transactions in flight at the kills"
