"""The README's quick start to its end: `portcullis serve` with no arguments, a domain and two
users, a message from taro to hanako submitted with swaks on 127.0.0.1:2587, then hanako reads
it with curl over POP3 on the embedded default ports (DESIGN.md: 2110 STLS, 2995 implicit TLS),
exactly as the README shows the commands. What curl prints must be the Maildir file, LF as CRLF.

The embedded ports are fixed, so this scenario needs them free; when another process holds one,
it fails and names the ports (see Tests/Interop/test_submission_quickstart.py for why no skip).
"""

from __future__ import annotations

import socket

import pytest

from interop_harness import INSIDE, PortcullisServer, ServerError, unique_marker
from pop3_clients import run_client
from pop3_harness import maildir_files, wait_for_delivery, wire_form
from interop_harness import require_peer

EMBEDDED_PORTS = {"port-25 service": 2525, "submission": 2587, "submissions": 2465, "pop3": 2110, "pop3s": 2995}
TARO_PASSWORD = "correct horse battery staple"
HANAKO_PASSWORD = "tsukimi dango 15"


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((INSIDE, port))
        except OSError:
            return True
    return False


@pytest.fixture
def embedded():
    busy = [f"{name} {port}" for name, port in EMBEDDED_PORTS.items() if port_in_use(port)]
    if busy:
        pytest.fail(f"quick start needs the embedded default ports free; in use here: {', '.join(busy)}")
    server = PortcullisServer("pop3-quickstart", embedded_default=True)
    if not server.binary.is_file():
        pytest.fail(f"no portcullis binary at {server.binary}: build it (swift build) or set PORTCULLIS_BIN")
    server.root.mkdir(parents=True, exist_ok=True)
    try:
        server.start()
    except ServerError as error:
        server.stop()
        pytest.fail(str(error))
    yield server
    server.stop()


def test_quick_start_ends_with_reading_the_message_over_pop3(embedded):
    server = embedded
    said = "".join(server.stdout_lines)
    for port in (EMBEDDED_PORTS["pop3"], EMBEDDED_PORTS["pop3s"]):
        assert f"{INSIDE}:{port}" in said, f"serve did not say it listens on {INSIDE}:{port}:\n{said}"
    server.cli("domain", "add", "alato.example", "--primary")
    server.cli("user", "add", "taro@alato.example", "--password-stdin", input=TARO_PASSWORD + "\n")
    server.cli("user", "add", "hanako@alato.example", "--password-stdin", input=HANAKO_PASSWORD + "\n")

    marker = unique_marker("quick-pop3")
    rc, out, err = run_client(server.root, "swaks", [
        require_peer("swaks"), "--server", "127.0.0.1:2587", "-tls", "--auth", "PLAIN",
        "--auth-user", "taro@alato.example", "--auth-password", TARO_PASSWORD,
        "--from", "taro@alato.example", "--to", "hanako@alato.example",
        "--header", f"Subject: first message {marker}"])
    assert rc == 0, f"swaks exited {rc}\n{out.decode()}{err}"
    maildir = server.data_dir / "mailboxes" / "alato.example" / "hanako" / "Maildir"
    _, stored = wait_for_delivery(maildir, marker)

    user = ["--user", f"hanako@alato.example:{HANAKO_PASSWORD}"]
    curl = require_peer("curl")
    rc, listing, err = run_client(server.root, "curl-list", [curl, "-k", *user, "pop3s://127.0.0.1:2995/"])
    assert rc == 0, f"curl pop3s LIST exited {rc}\n{err}"
    assert listing == f"1 {len(wire_form(stored))}\r\n".encode(), f"LIST: {listing!r}"
    rc, message, err = run_client(server.root, "curl-retr", [curl, "-k", *user, "pop3s://127.0.0.1:2995/1"])
    assert rc == 0, f"curl pop3s RETR exited {rc}\n{err}"
    assert message == wire_form(stored), "curl's message differs from the Maildir file (LF as CRLF)"
    rc, message, err = run_client(server.root, "curl-stls",
                                  [curl, "-k", "--ssl-reqd", *user, "pop3://127.0.0.1:2110/1"])
    assert rc == 0 and message == wire_form(stored), f"curl over STLS on 2110 exited {rc}\n{err}"
    assert list(maildir_files(maildir).values()) == [stored], "reading changed the mailbox"
