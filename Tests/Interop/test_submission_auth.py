"""Submission: what EHLO advertises before and after TLS, and SMTP AUTH (RFC 4954) refusals.

Exact reply codes, from a raw dialog so that each byte sent is the one the scenario names.
Scenarios that fail a login on purpose use their own loopback source address: the server
delays failures per client, and that delay must not spill into the other scenarios.
"""

from __future__ import annotations

import base64

import pytest

from interop_harness import (
    AUTH_FAILURE_SOURCES,
    HANAKO_DISABLED,
    HOSTNAME,
    INSIDE,
    MAX_MESSAGE_SIZE,
    TARO,
)
from smtp_dialog import SMTPDialog

# RFC 5321 §2.2.2 and the extensions every submission EHLO must offer.
ALWAYS_ADVERTISED = ["PIPELINING", "SIZE", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"]


def test_banner_and_ehlo_before_tls_offer_starttls_not_auth(server):
    with SMTPDialog(INSIDE, server.submission_port) as s:
        banner = s.greeting()
        assert HOSTNAME in banner.text, s.fail("banner does not name the host")
        ehlo = s.ehlo()
        for keyword in ALWAYS_ADVERTISED:
            assert ehlo.has_keyword(keyword), s.fail(f"{keyword} not advertised before TLS")
        assert ehlo.keyword_params("SIZE") == [str(MAX_MESSAGE_SIZE)], s.fail("SIZE is not max_message_size")
        assert ehlo.has_keyword("STARTTLS"), s.fail("STARTTLS not advertised before TLS")
        # RFC 4954 §4 with RFC 3207: no plaintext AUTH is offered.
        assert not ehlo.has_keyword("AUTH"), s.fail("AUTH advertised before TLS")
        s.quit()


def test_ehlo_after_starttls_offers_auth_not_starttls(server):
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        ehlo = s.ehlo()
        for keyword in ALWAYS_ADVERTISED:
            assert ehlo.has_keyword(keyword), s.fail(f"{keyword} not advertised after TLS")
        auth = ehlo.keyword_params("AUTH")
        assert auth is not None, s.fail("AUTH not advertised after STARTTLS")
        assert {"PLAIN", "LOGIN"} <= {m.upper() for m in auth}, s.fail("AUTH lacks PLAIN or LOGIN")
        # RFC 3207 §4.2: STARTTLS must not be offered once TLS is active.
        assert not ehlo.has_keyword("STARTTLS"), s.fail("STARTTLS advertised after TLS")
        s.expect(s.command("STARTTLS"), 503, "5.5.1", what="second STARTTLS")
        s.quit()


def test_implicit_tls_ehlo_offers_auth_not_starttls(server):
    with SMTPDialog(INSIDE, server.submissions_port, implicit_tls=True) as s:
        s.greeting()
        ehlo = s.ehlo()
        assert ehlo.keyword_params("AUTH") is not None, s.fail("AUTH not advertised on implicit TLS")
        assert not ehlo.has_keyword("STARTTLS"), s.fail("STARTTLS advertised on implicit TLS")
        s.quit()


def test_tls_below_1_2_is_refused(server):
    # TLS 1.2 minimum. This client offers only TLS 1.0/1.1 (SECLEVEL=0 so that OpenSSL
    # itself agrees to offer them; checked against `openssl s_server -tls1_1`): no session.
    import ssl
    import warnings
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        s.expect(s.command("STARTTLS"), 220)
        s.sock.settimeout(20)
        try:
            tls = context.wrap_socket(s.sock, server_hostname=HOSTNAME)
        except ssl.SSLError as error:
            assert "NO_PROTOCOLS_AVAILABLE" not in str(error).upper(), \
                f"the local OpenSSL refused to offer TLS 1.1, so the server was not tested: {error}"
            return
        except OSError:
            return  # the server closed the connection instead of negotiating: refused
        version = tls.version()
        tls.close()
        raise AssertionError(f"the server negotiated {version} with a TLS 1.0/1.1-only client")


def test_auth_before_starttls_is_refused(server):
    # RFC 4954 §4 / RFC 3207: 538 5.7.11 (encryption required) or 530 5.7.0; the server uses 538.
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        token = base64.b64encode(f"\0{TARO.address}\0{TARO.password}".encode()).decode()
        s.expect_one_of(s.command(f"AUTH PLAIN {token}"), [(538, "5.7.11"), (530, "5.7.0")],
                        what="AUTH PLAIN before STARTTLS")
        s.expect_one_of(s.command("AUTH LOGIN"), [(538, "5.7.11"), (530, "5.7.0")],
                        what="AUTH LOGIN before STARTTLS")
        s.quit()


def test_mail_before_starttls_requires_auth(server):
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 530, "5.7.0", what="MAIL before STARTTLS")
        s.quit()


def test_mail_before_auth_is_refused(server):
    # RFC 4954 §6: 530 5.7.0 Authentication required.
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        s.ehlo()
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 530, "5.7.0", what="MAIL before AUTH")
        s.expect(s.command("RCPT TO:<friend@example.net>"), 503, what="RCPT without MAIL")
        s.quit()


def test_mail_before_auth_on_implicit_tls_is_refused(server):
    with SMTPDialog(INSIDE, server.submissions_port, implicit_tls=True) as s:
        s.greeting()
        s.ehlo()
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 530, "5.7.0", what="MAIL before AUTH")
        s.quit()


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_wrong_password_is_535(server, mechanism):
    # RFC 4954 §6: 535 5.7.8 Authentication credentials invalid.
    source = AUTH_FAILURE_SOURCES[0 if mechanism == "PLAIN" else 1]
    with SMTPDialog(INSIDE, server.submission_port, source=source, timeout=60) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        s.ehlo()
        login = s.auth_plain if mechanism == "PLAIN" else s.auth_login
        s.expect(login(TARO.address, TARO.password + "x"), 535, "5.7.8", what=f"AUTH {mechanism} wrong password")
        # Still not authenticated: a transaction stays refused.
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 530, "5.7.0", what="MAIL after failed AUTH")
        s.quit()


def test_unknown_user_is_535(server):
    with SMTPDialog(INSIDE, server.submission_port, source=AUTH_FAILURE_SOURCES[2], timeout=60) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        s.ehlo()
        s.expect(s.auth_plain("nobody@alato.example", "whatever-password"), 535, "5.7.8", what="AUTH unknown user")
        s.quit()


def test_disabled_account_is_535(server):
    # Right password, disabled account: refused like a wrong password (no account oracle).
    with SMTPDialog(INSIDE, server.submission_port, source=AUTH_FAILURE_SOURCES[3], timeout=60) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        s.ehlo()
        reply = s.auth_plain(HANAKO_DISABLED.address, HANAKO_DISABLED.password)
        s.expect(reply, 535, what="AUTH of a disabled account")
        s.quit()


def test_auth_plain_without_initial_response(server):
    # RFC 4954 §4: "AUTH PLAIN" alone gets an empty 334 challenge, then the response.
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        s.ehlo()
        s.expect(s.command("AUTH PLAIN"), 334, what="AUTH PLAIN challenge")
        token = base64.b64encode(f"\0{TARO.address}\0{TARO.password}".encode()).decode()
        s.expect(s.command(token, timeout=40), 235, "2.7.0", what="PLAIN response")
        s.expect(s.command("AUTH PLAIN"), 503, "5.5.1", what="AUTH after a successful AUTH (RFC 4954 §4)")
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 250, what="MAIL after AUTH")
        s.quit()


def test_auth_cancelled_with_star(server):
    # RFC 4954 §4: a "*" response cancels the exchange; the server answers 501.
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        s.ehlo()
        s.expect(s.command("AUTH LOGIN"), 334, what="AUTH LOGIN")
        s.expect(s.command("*"), 501, what="cancel with *")
        s.expect(s.command(f"MAIL FROM:<{TARO.address}>"), 530, "5.7.0", what="MAIL after cancelled AUTH")
        s.quit()


def test_auth_invalid_base64_is_501(server):
    # RFC 4954 §4: a response that cannot be decoded is rejected with 501.
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        s.ehlo()
        s.expect(s.command("AUTH PLAIN ***not-base64***"), 501, what="AUTH PLAIN with bad base64")
        s.quit()


def test_no_password_in_the_server_log(server):
    # Never store or log a plain password: secrets are redacted at the type level.
    # Log in successfully (PLAIN and LOGIN) and fail once, then search the server's whole output
    # for the passwords and for the base64 forms that travelled on the wire.
    wrong = TARO.password + "-wrong"
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.login_submission(TARO.address, TARO.password)
        s.quit()
    with SMTPDialog(INSIDE, server.submission_port) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        s.ehlo()
        s.expect(s.auth_login(TARO.address, TARO.password), 235, what="AUTH LOGIN")
        s.quit()
    with SMTPDialog(INSIDE, server.submission_port, source=AUTH_FAILURE_SOURCES[2], timeout=60) as s:
        s.greeting()
        s.ehlo()
        s.starttls()
        s.ehlo()
        s.expect(s.auth_plain(TARO.address, wrong), 535, "5.7.8")
        s.quit()
    import time
    time.sleep(1.0)  # the log handler writes asynchronously
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    secrets = {
        "password": TARO.password,
        "wrong password": wrong,
        "PLAIN token": base64.b64encode(f"\0{TARO.address}\0{TARO.password}".encode()).decode(),
        "failed PLAIN token": base64.b64encode(f"\0{TARO.address}\0{wrong}".encode()).decode(),
        "LOGIN password": base64.b64encode(TARO.password.encode()).decode(),
    }
    leaked = [name for name, value in secrets.items() if value in log]
    assert not leaked, f"the server log ({server.log_path}) contains: {', '.join(leaked)}"
