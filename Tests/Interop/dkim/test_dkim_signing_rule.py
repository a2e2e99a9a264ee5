"""Who gets a DKIM signature, through the real server, verified with dkimpy.

Mail is signed with its From: domain's key only when the session authenticated and the account
owns the From: address. A client on a subscriber line (an access network) may still relay on
port 25 without AUTH, but its mail leaves unsigned, whatever hosted domain it writes in From:
(an infected machine could write any). Port 25 offers AUTH after STARTTLS only; a session that
authenticated there is held to the submission rules: sender ownership (553 5.7.1), a Received
header with ESMTPSA, and a signature that verifies. Delivery goes through a static route to
Postfix's smtp-sink, whose dumps are read back.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
import sys
import uuid
from pathlib import Path

import dkim  # dkimpy: a missing verifier fails the suite, it never skips it
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))

from interop_harness import INSIDE, JIRO, TARO, TARO_ALIAS  # noqa: E402
from test_dkim_server import dnsfunc, dumped_message, signing_server, wait_for  # noqa: E402

SIGNED_DOMAINS = ("alato.example", "virtual.example")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    # The harness's access network is 127.0.0.1/32: clients on INSIDE are subscribers.
    yield from signing_server(tmp_path_factory, "dkim-signing-rule", [[domain] for domain in SIGNED_DOMAINS])


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def message(author: str, marker: str) -> bytes:
    body = "\r\n".join(f"line {i} of the signing-rule test, {marker}" for i in range(12))
    return (f"From: <{author}>\r\nTo: <friend@example.net>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@test.example>\r\n\r\n{body}\r\n").encode()


def send(port: int, *, author: str, marker: str, login: bool, sender: str | None = None) -> None:
    with smtplib.SMTP(INSIDE, port, timeout=30) as client:
        client.ehlo("laptop.example.net")
        if login:
            client.starttls(context=tls_context())
            client.ehlo("laptop.example.net")
            client.login(TARO.address, TARO.password)
        client.sendmail(sender or author, ["friend@example.net"], message(author, marker))


def signatures(received: bytes) -> list[bytes]:
    return [value for value in received.split(b"\r\n") if value.lower().startswith(b"dkim-signature:")]


def assert_signed_and_verifies(received: bytes, records, domain: str) -> None:
    found = signatures(received)
    assert len(found) == 1, f"expected one DKIM-Signature:\n{received[:1500]!r}"
    verifier = dkim.DKIM(received)
    assert verifier.verify(dnsfunc=dnsfunc(records)), "dkimpy did not verify the signature"
    assert verifier.domain == domain.encode(), f"signed as {verifier.domain!r}, not {domain}"


@pytest.mark.parametrize("author", [TARO.address, JIRO.address], ids=["isp-domain", "virtual-domain"])
def test_unauthenticated_access_network_relay_is_delivered_unsigned(setup, author):
    server, sink, records = setup
    marker = f"unsigned-{uuid.uuid4().hex[:12]}"
    send(server.smtp_port, author=author, marker=marker, login=False)
    received = dumped_message(wait_for(sink, marker))
    assert not signatures(received), f"unauthenticated relay mail was signed:\n{received[:1500]!r}"
    assert not dkim.DKIM(received).verify(dnsfunc=dnsfunc(records))


def test_authenticated_port_25_mail_is_signed_and_verifies(setup):
    server, sink, records = setup
    marker = f"signed25-{uuid.uuid4().hex[:12]}"
    send(server.smtp_port, author=TARO.address, marker=marker, login=True)
    received = dumped_message(wait_for(sink, marker))
    assert_signed_and_verifies(received, records, "alato.example")
    # The submission rules: the Received header records an authenticated TLS session.
    assert b"with ESMTPSA" in received, received[:1500]


def test_authenticated_port_25_mail_from_an_alias_is_signed(setup):
    server, sink, records = setup
    marker = f"alias25-{uuid.uuid4().hex[:12]}"
    send(server.smtp_port, author=TARO_ALIAS, marker=marker, login=True)
    assert_signed_and_verifies(dumped_message(wait_for(sink, marker)), records, "alato.example")


def test_authenticated_submission_mail_is_signed_and_verifies(setup):
    server, sink, records = setup
    marker = f"signed587-{uuid.uuid4().hex[:12]}"
    send(server.submission_port, author=TARO.address, marker=marker, login=True)
    assert_signed_and_verifies(dumped_message(wait_for(sink, marker)), records, "alato.example")


@pytest.mark.parametrize("service", ["smtp_port", "submission_port"])
def test_from_a_hosted_domain_the_account_does_not_own_is_refused(setup, service):
    """Taro may not put jiro@virtual.example in From:, although virtual.example has a key:
    the message is refused (553 5.7.1, RFC 6409 §8) rather than sent unsigned."""
    server, sink, _ = setup
    marker = f"foreign-{uuid.uuid4().hex[:12]}"
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(getattr(server, service), author=JIRO.address, marker=marker, login=True, sender=TARO.address)
    assert refused.value.smtp_code == 553 and refused.value.smtp_error.startswith(b"5.7.1"), refused.value
    assert not any(marker in text for text in sink.messages())


def test_authenticated_port_25_sender_must_be_owned(setup):
    server, _, _ = setup
    with smtplib.SMTP(INSIDE, server.smtp_port, timeout=30) as client:
        client.starttls(context=tls_context())
        client.login(TARO.address, TARO.password)
        code, text = client.mail(JIRO.address)
        assert (code, text[:5]) == (553, b"5.7.1"), (code, text)
        code, text = client.mail("<>")
        assert (code, text[:5]) == (553, b"5.7.1"), (code, text)


def test_port_25_offers_auth_only_after_starttls(setup):
    server, _, _ = setup
    plain = base64.b64encode(f"\0{TARO.address}\0{TARO.password}".encode()).decode()
    with smtplib.SMTP(INSIDE, server.smtp_port, timeout=30) as client:
        client.ehlo("laptop.example.net")
        assert "starttls" in client.esmtp_features
        assert "auth" not in client.esmtp_features, client.esmtp_features
        # The same refusal submission gives to cleartext AUTH (RFC 4954 §4: 538 5.7.11).
        code, text = client.docmd("AUTH", f"PLAIN {plain}")
        assert (code, text[:6]) == (538, b"5.7.11"), (code, text)
        client.starttls(context=tls_context())
        client.ehlo("laptop.example.net")
        assert client.esmtp_features.get("auth", "").split() == ["PLAIN", "LOGIN"], client.esmtp_features
