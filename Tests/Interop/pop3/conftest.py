"""Fixtures for the POP3 scenarios: one Portcullis server with POP3 for the directory.

The server under test is always Portcullis. `POP3_REFERENCE=dovecot` runs the same client
scenarios against a private Dovecot instead (dovecot_peer.py, over the same kind of Maildir): a
check of the scenarios themselves (the client invocations and the expectations any correct
POP3 server meets), not of Portcullis. The scenarios that need Portcullis itself (swaks
delivery, restart, the shared lockout, `user disable`) fail in that mode.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interop_harness import ARTIFACTS, Account, ServerError, free_port, portcullis_binary  # noqa: E402
from pop3_harness import POP3Portcullis  # noqa: E402


class DovecotReference:
    """Dovecot behind the attributes the scenarios use from POP3Portcullis."""

    # Dovecot 2.3 advertises neither EXPIRE nor IMPLEMENTATION (both optional in RFC 2449).
    capabilities_after_tls = POP3Portcullis.capabilities_after_tls - {"EXPIRE", "IMPLEMENTATION"}

    def __init__(self) -> None:
        from dovecot_peer import DovecotPOP3
        import time
        self.root = ARTIFACTS / f"interop-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-pop3-dovecot"
        self.root.mkdir(parents=True, exist_ok=True)
        tls = self.root / "tls"
        tls.mkdir(exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
                        "-subj", "/CN=mail.alato.example", "-addext", "subjectAltName=DNS:mail.alato.example"],
                       check=True, capture_output=True)
        self.certificate = tls / "cert.pem"
        self.mailboxes = self.root / "mailboxes"
        self.mailboxes.mkdir(exist_ok=True)
        self.pop3_port, self.pop3s_port = free_port(), free_port()
        self.dovecot = DovecotPOP3(self.root / "dovecot", self.mailboxes, self.certificate, tls / "key.pem",
                                   self.pop3_port, self.pop3s_port)

    def new_account(self, hint: str) -> Account:
        account = Account(f"{hint[:30]}-{uuid.uuid4().hex[:6]}@alato.example", f"pop3 pass {uuid.uuid4().hex[:10]}")
        self.dovecot.add_user(account.address, account.password)
        self.maildir(account).mkdir(parents=True, exist_ok=True)
        for sub in ("new", "cur", "tmp"):
            (self.maildir(account) / sub).mkdir(exist_ok=True)
        self.dovecot.chown_maildirs()
        return account

    def deliver_file(self, account: Account, content: bytes) -> str:
        from pop3_harness import drop_into_maildir
        name = drop_into_maildir(self.maildir(account), content)
        self.dovecot.chown_maildirs()
        return name

    def maildir(self, account) -> Path:
        address = account.address if isinstance(account, Account) else account
        local, domain = address.split("@")
        return self.mailboxes / domain / local / "Maildir"


@pytest.fixture(scope="session")
def pop3():
    """The POP3 server under test: Portcullis (or the Dovecot reference, see above)."""
    if os.environ.get("POP3_REFERENCE") == "dovecot":
        reference = DovecotReference()
        reference.dovecot.start()
        yield reference
        reference.dovecot.stop()
        return
    binary = portcullis_binary()
    if not binary.is_file():
        pytest.fail(f"no portcullis binary at {binary}: build it (swift build) or set PORTCULLIS_BIN")
    server = POP3Portcullis("pop3", binary)
    try:
        server.initialise()
        server.provision()
        server.start()
    except ServerError as error:
        server.stop()
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture
def account(pop3, request):
    """A fresh account of the scenario's own (an empty mailbox nobody else touches)."""
    return pop3.new_account(request.node.name.replace("test_", "")[:30])


@pytest.fixture
def restartable_pop3(request):
    """A private Portcullis for the scenarios that restart it."""
    binary = portcullis_binary()
    if not binary.is_file():
        pytest.fail(f"no portcullis binary at {binary}: build it (swift build) or set PORTCULLIS_BIN")
    server = POP3Portcullis(request.node.name[:50], binary)
    try:
        server.initialise()
        server.provision()
        server.start()
    except ServerError as error:
        server.stop()
        pytest.fail(str(error))
    yield server
    server.stop()
