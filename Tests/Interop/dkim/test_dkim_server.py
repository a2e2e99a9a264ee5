"""DKIM end to end through the real server.

`portcullis dkim generate` makes an RSA and an Ed25519 key for alato.example; a message submitted
on 587 (STARTTLS + AUTH) is relayed by the delivery engine through a static route to Postfix's
smtp-sink, which dumps what it received; dkimpy verifies both signatures with the public keys
that `dkim generate` printed (its DNS hook). A copy altered after signing must fail, and mail
that arrives from outside on port 25 is not signed.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))

from interop_harness import INSIDE, OUTSIDE, TARO, PortcullisServer, ServerError, portcullis_binary  # noqa: E402
from delivery_peers import SmtpSink  # noqa: E402

try:
    import dkim
    import nacl.signing  # dkimpy needs PyNaCl for ed25519-sha256
except ImportError as missing:  # a missing verifier fails every scenario by name, never skips
    dkim = None
    MISSING_PEER = f"{missing.name} is not installed: scripts/install-test-deps puts it in .venv-test"
else:
    MISSING_PEER = None


class RelayingServer(PortcullisServer):
    """The shared harness, with every remote domain routed to smtp-sink and delivery running."""

    sink_port = 0

    def config_text(self, access_prefixes):
        text = super().config_text(access_prefixes)
        return re.sub(r'routes = \{[^}]*\}', f'routes = {{ "*" = "{INSIDE}:{self.sink_port}" }}', text)


def zone_records(text: str) -> dict[str, str]:
    records = {}
    for line in text.splitlines():
        match = re.fullmatch(r'(\S+) IN TXT((?: "[^"]*")+)', line.strip())
        if match:
            records[match.group(1)] = "".join(re.findall(r'"([^"]*)"', match.group(2)))
    return records


def signing_server(tmp_path_factory, name: str, keys: list[list[str]]):
    """A relaying server with delivery running, a sink for what it sends, and one `dkim
    generate ARGS...` per entry of `keys`; yields (server, sink, TXT records by name)."""
    if MISSING_PEER:
        pytest.fail(MISSING_PEER)
    binary = portcullis_binary()
    if not binary.is_file():
        pytest.fail(f"no portcullis binary at {binary}: build it (swift build) or set PORTCULLIS_BIN")
    sink = SmtpSink(tmp_path_factory.mktemp("sink"))
    server = RelayingServer(name, binary)
    server.sink_port = sink.port
    try:
        server.initialise()
        server.cli("queue", "resume")
        server.provision()
        printed = "".join(server.cli("dkim", "generate", *arguments).stdout for arguments in keys)
        server.start()
    except ServerError as error:
        server.stop()
        sink.stop()
        pytest.fail(str(error))
    records = zone_records(printed)
    assert len(records) == len(keys), f"dkim generate did not print one TXT record per key:\n{printed}"
    try:
        yield server, sink, records
    finally:
        server.stop()
        sink.stop()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    yield from signing_server(tmp_path_factory, "dkim-server",
                              [["alato.example", "--algorithm", algorithm] for algorithm in ("rsa", "ed25519")])


def dnsfunc(records):
    def lookup(name, timeout=5):
        key = name.decode() if isinstance(name, bytes) else name
        value = records.get(key) or records.get(key.rstrip(".") + ".")
        return value.encode() if value is not None else None
    return lookup


def wait_for(sink: SmtpSink, marker: str, timeout: float = 30.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(sink.dump.iterdir()):
            data = path.read_bytes()
            if marker.encode() in data:
                return data
        time.sleep(0.2)
    pytest.fail(f"the message {marker} did not reach smtp-sink within {timeout} s")


def dumped_message(data: bytes) -> bytes:
    """smtp-sink's dump starts with its own envelope lines (X-Client-Addr, X-Helo-Args,
    X-Mail-Args, X-Rcpt-Args) before the message; drop them."""
    lines = data.split(b"\r\n") if b"\r\n" in data else data.split(b"\n")
    while lines and re.match(rb"^X-(Client|Client-Proto|Helo|Mail|Rcpt)[A-Za-z-]*:", lines[0]):
        lines.pop(0)
    return b"\r\n".join(lines)


def submit(server, marker: str, body_lines: int = 40) -> None:
    body = "\r\n".join(f"line {i} of the DKIM end-to-end test, {marker}" for i in range(body_lines))
    message = (f"From: Taro <{TARO.address}>\r\nTo: <friend@example.net>\r\nSubject: dkim {marker}\r\n"
               f"\r\n{body}\r\n")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP(INSIDE, server.submission_port, timeout=20) as client:
        client.starttls(context=context)
        client.login(TARO.address, TARO.password)
        client.sendmail(TARO.address, ["friend@example.net"], message.encode())


def test_submitted_mail_is_dual_signed_and_verifies_after_relay(setup):
    server, sink, records = setup
    marker = f"dkim-{uuid.uuid4().hex[:12]}"
    submit(server, marker)
    received = dumped_message(wait_for(sink, marker))
    signatures = re.findall(rb"^DKIM-Signature:.*?a=([a-z0-9-]+)", received, re.M | re.S)
    algorithms = sorted(set(re.findall(rb"\ba=(rsa-sha256|ed25519-sha256)", received)))
    assert algorithms == [b"ed25519-sha256", b"rsa-sha256"], f"expected both signatures:\n{received[:1500]!r}"
    assert signatures, "no DKIM-Signature field"
    verifier = dkim.DKIM(received)
    results = [verifier.verify(idx=i, dnsfunc=dnsfunc(records)) for i in range(2)]
    assert results == [True, True], f"dkimpy results {results}"


def test_altered_message_fails_verification(setup):
    server, sink, records = setup
    marker = f"dkim-{uuid.uuid4().hex[:12]}"
    submit(server, marker)
    received = dumped_message(wait_for(sink, marker))
    tampered = received.replace(f"line 3 of the DKIM end-to-end test, {marker}".encode(),
                                f"line 3 of the DKIM end-to-end test, {marker} (edited)".encode())
    assert tampered != received
    assert not dkim.verify(tampered, dnsfunc=dnsfunc(records)), "dkimpy accepted an altered message"


def test_inbound_mail_from_outside_is_not_signed(setup):
    server, sink, records = setup
    marker = f"dkim-{uuid.uuid4().hex[:12]}"
    message = (f"From: <someone@alato.example>\r\nTo: <{TARO.address}>\r\nSubject: {marker}\r\n\r\nspoofed {marker}\r\n")
    with smtplib.SMTP(INSIDE, server.smtp_port, timeout=20, source_address=(OUTSIDE, 0)) as client:
        client.sendmail("someone@example.org", [TARO.address], message.encode())
    maildir = server.data_dir / "mailboxes" / "alato.example" / "taro" / "Maildir" / "new"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        hits = [p for p in maildir.glob("*") if marker.encode() in p.read_bytes()] if maildir.exists() else []
        if hits:
            assert b"DKIM-Signature:" not in hits[0].read_bytes(), "inbound mail from outside was signed"
            return
        time.sleep(0.2)
    pytest.fail("the inbound message did not reach taro's Maildir")
