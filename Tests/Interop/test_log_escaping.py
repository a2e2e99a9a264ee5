"""Client-supplied text in the server's log: one event is always one line.

A user name with CR LF in it must not write a forged line of the client's choosing into the
log, and a password typed into the user-name field must not be logged: the name of a failed
login is logged only when it is an address (escaped), else as its length, and every client
value in a log line is escaped. Read back from the standard error of the real `portcullis serve`.
"""

from __future__ import annotations

import base64
import smtplib
import ssl

from interop_harness import PortcullisServer

PASSWORD_LIKE = "Hunter2-Hunter2!"
FORGED = "2026-12-06T00:00:00+0000 info smtp: account=taro@alato.example [SMTPServer] authenticated"
# Their own source addresses: a failed login slows the next one from the same client.
SOURCES = ["127.0.0.41", "127.0.0.42", "127.0.0.43"]


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def failed_login(server: PortcullisServer, source: str, *lines: str) -> None:
    """STARTTLS, then the AUTH dialog `lines`: 334 after each but the last, 535 after it."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", server.submission_port, timeout=30, source_address=(source, 0)) as client:
        client.starttls(context=context)
        client.ehlo("laptop.example.net")
        for line in lines[:-1]:
            code, text = client.docmd(line)
            assert code == 334, (code, text)
        code, text = client.docmd(lines[-1])
        assert (code, text[:5]) == (535, b"5.7.8"), (code, text)


def auth_failure_lines(server: PortcullisServer) -> list[str]:
    return [line for line in server.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
            if "authentication failed" in line]


def test_a_failed_login_name_with_crlf_is_one_line_without_the_name(fresh_server):
    server = fresh_server
    # AUTH LOGIN: the user name is the password followed by CR LF and a forged log line.
    name = f"{PASSWORD_LIKE}\r\n{FORGED}"
    failed_login(server, SOURCES[0], "AUTH LOGIN", b64(name), b64("wrong password"))
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    lines = auth_failure_lines(server)
    assert len(lines) == 1, lines
    assert f"user_length={len(name.encode())}" in lines[0], lines[0]
    assert PASSWORD_LIKE not in log, "the password-like user name reached the log"
    assert FORGED not in log and "account=taro@alato.example [SMTPServer] authenticated" not in log


def test_a_failed_login_name_that_is_not_an_address_is_logged_as_its_length(fresh_server):
    server = fresh_server
    plain = b64(f"\0{PASSWORD_LIKE}\0wrong password")
    failed_login(server, SOURCES[1], f"AUTH PLAIN {plain}")
    [line] = auth_failure_lines(server)
    assert f"user_length={len(PASSWORD_LIKE)}" in line and "user=" not in line, line
    assert PASSWORD_LIKE not in server.log_path.read_text(encoding="utf-8", errors="replace")


def test_a_failed_login_name_that_is_an_address_is_logged(fresh_server):
    server = fresh_server
    plain = b64("\0nobody@alato.example\0wrong password")
    failed_login(server, SOURCES[2], f"AUTH PLAIN {plain}")
    [line] = auth_failure_lines(server)
    assert "user=nobody@alato.example" in line, line
