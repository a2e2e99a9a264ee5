"""The POP3 server under test, its mailboxes on disk, and a raw POP3 dialog.

`POP3Portcullis` is the interop harness's `portcullis serve` with `[pop3]` listeners (STLS and
implicit TLS) on free loopback ports, delivery running (hosted mail reaches the Maildirs), a short
AUTH failure delay and the abuse test clock. Mailboxes are read straight from disk:
`<data>/mailboxes/<domain>/<local>/Maildir/{new,cur}`, stored with LF line ends; over POP3 a
message is the same bytes with every LF sent as CRLF (RFC 1939 §3), so `wire_form` is what
"byte-for-byte equal" compares against.

`POP3Dialog` speaks POP3 on a socket with exact bytes out and whole responses in (deadlines
everywhere), for the scenarios that assert responses the client libraries hide.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from interop_harness import (
    HOSTNAME,
    INSIDE,
    Account,
    PortcullisServer,
)

POP3_IDLE_TIMEOUT = 600
AUTH_FAILURE_LIMIT = 10
AUTH_LOCKOUT = 900
READ_TIMEOUT = 30.0


class POP3Portcullis(PortcullisServer):
    """`portcullis serve` with POP3 on loopback, delivery running and the abuse test clock."""

    # What CAPA lists after TLS (RFC 2449 §6, RFC 5034 §3 SASL, RFC 3206 codes); STLS only before.
    capabilities_after_tls = {"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL",
                              "EXPIRE", "IMPLEMENTATION"}

    def __init__(self, name: str, binary: Path | None = None) -> None:
        super().__init__(name, binary)
        self.accounts: dict[str, Account] = {}

    def initialise(self, access_prefixes=(f"{INSIDE}/32",)) -> None:
        super().initialise(access_prefixes)
        # Hosted mail must reach the Maildirs the POP3 service reads.
        self.cli("queue", "resume")

    def config_text(self, access_prefixes) -> str:
        text = super().config_text(access_prefixes)
        text = text.replace("[limits]\n", "[limits]\nauth_failure_delay_ms = 20\n", 1)
        text = text.replace("[pop3]\n", f"[pop3]\nidle_timeout = {POP3_IDLE_TIMEOUT}\n", 1)
        return text + f"""
[abuse]
auth_failure_limit = {AUTH_FAILURE_LIMIT}
auth_lockout = {AUTH_LOCKOUT}
clock_offset_file = "clock-offset"
"""

    @property
    def certificate(self) -> Path:
        """The self-signed certificate `portcullis init` made (subject mail.alato.example)."""
        return self.data_dir / "tls" / "cert.pem"

    @property
    def mailboxes(self) -> Path:
        return self.data_dir / "mailboxes"

    def advance_clock(self, seconds: float) -> None:
        path = self.data_dir / "clock-offset"
        current = float(path.read_text()) if path.exists() else 0.0
        path.write_text(f"{current + seconds}\n")

    def new_account(self, hint: str) -> Account:
        """A fresh account of its own for one scenario, so mailbox state never leaks between them."""
        local = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:40] + "-" + uuid.uuid4().hex[:6]
        account = Account(f"{local}@alato.example", f"pop3 pass {uuid.uuid4().hex[:10]}")
        self.cli("user", "add", account.address, "--password-stdin", input=account.password + "\n")
        self.accounts[account.address] = account
        return account

    def deliver_file(self, account: Account, content: bytes) -> str:
        """Puts a stored (LF) message straight into the account's Maildir, as a delivery agent does."""
        return drop_into_maildir(self.maildir(account), content)

    def maildir(self, account: Account | str) -> Path:
        address = account.address if isinstance(account, Account) else account
        local, domain = address.split("@")
        return self.mailboxes / domain.lower() / local / "Maildir"


# -- Maildir on disk ----------------------------------------------------------------------------

def maildir_files(maildir: Path) -> dict[str, bytes]:
    """Every message in `new/` and `cur/`: base unique name (before `:2,`) -> file contents."""
    messages = {}
    for sub in ("new", "cur"):
        directory = maildir / sub
        if directory.is_dir():
            for path in directory.iterdir():
                if path.is_file() and not path.name.startswith("."):
                    messages[path.name.split(":", 1)[0]] = path.read_bytes()
    return messages


def wire_form(stored: bytes) -> bytes:
    """The message as POP3 sends it (before dot-stuffing): LF line ends as CRLF (RFC 1939 §3)."""
    return stored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def drop_into_maildir(maildir: Path, content: bytes, hostname: str = "interop.example") -> str:
    """Puts a message into `new/` as a delivery agent does (tmp/, then rename); returns its name."""
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    now = time.time()
    name = f"{int(now)}.M{int((now % 1) * 1e6)}P{os.getpid()}Q{uuid.uuid4().hex[:8]}.{hostname}"
    temporary = maildir / "tmp" / name
    temporary.write_bytes(content)
    os.rename(temporary, maildir / "new" / name)
    return name


def sample_message(marker: str, *, lines: int = 3, dot_lines: bool = True) -> bytes:
    """A stored (LF) message with a line starting with "." so dot-stuffing is exercised."""
    body = "".join(f"line {i} of {marker}\n" for i in range(lines))
    if dot_lines:
        body += ".a line that starts with a dot\n..two dots\n.\n"
    return (f"From: sender@example.net\nTo: someone@alato.example\nSubject: {marker}\n"
            f"Message-ID: <{marker}@interop.example>\nDate: Sun, 06 Dec 2026 10:00:00 +0000\n\n{body}").encode()


def swaks_submit(server: POP3Portcullis, sender: Account, recipient: str, marker: str) -> str:
    """Submits with swaks on the submission port (STARTTLS, AUTH PLAIN); returns the transcript."""
    from interop_harness import require_peer
    command = [require_peer("swaks"), "--server", f"{INSIDE}:{server.submission_port}", "--timeout", "60",
               "-tls", "--auth", "PLAIN", "--auth-user", sender.address, "--auth-password", sender.password,
               "--from", sender.address, "--to", recipient,
               "--header", f"Subject: pop3 interop {marker}",
               "--body", f"Marker: {marker}\n.a line that starts with a dot\nend\n"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    with open(server.root / "client-swaks.log", "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n{output}\n[exit {result.returncode}]\n\n")
    assert result.returncode == 0, f"swaks exited {result.returncode}\n{output}"
    assert re.search(r"250 2\.0\.0 Ok: queued as \S+", output), output
    return output


def wait_for_delivery(maildir: Path, marker: str, timeout: float = 60.0) -> tuple[str, bytes]:
    """The (unique name, bytes) of the message carrying `marker` once it is in the Maildir."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, content in maildir_files(maildir).items():
            if marker.encode() in content:
                return name, content
        time.sleep(0.2)
    raise AssertionError(f"no message with {marker} reached {maildir} within {timeout}s")


# -- a raw POP3 dialog --------------------------------------------------------------------------

def client_context() -> ssl.SSLContext:
    """TLS for the self-signed test certificate: encryption checked, identity not."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def verifying_context(certificate: Path) -> ssl.SSLContext:
    """TLS that trusts exactly the server's own certificate and checks the name mail.alato.example."""
    context = ssl.create_default_context(cafile=str(certificate))
    return context


@dataclass
class Response:
    line: bytes                      # the status line without CRLF

    @property
    def ok(self) -> bool:
        return self.line.startswith(b"+OK")

    @property
    def text(self) -> str:
        return self.line.decode("utf-8", "replace")


class POP3Dialog:
    """One POP3 connection: `send` writes exact bytes, `response` reads one status line,
    `multiline` reads a dot-terminated block raw (still dot-stuffed)."""

    def __init__(self, port: int, *, implicit_tls: bool = False, source: str = INSIDE,
                 host: str = INSIDE, timeout: float = READ_TIMEOUT) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout, source_address=(source, 0))
        if implicit_tls:
            self.sock = client_context().wrap_socket(self.sock, server_hostname=HOSTNAME)
        self.buffer = b""
        self.transcript: list[str] = []
        self.greeting = self.response()

    def send(self, data: bytes) -> None:
        self.transcript.append(f"C: {data!r}")
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def response(self) -> Response:
        while b"\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionError(f"connection closed before a response\n{self.show()}")
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        self.transcript.append(f"S: {line!r}")
        return Response(line)

    def command(self, line: str | bytes) -> Response:
        data = line.encode() if isinstance(line, str) else line
        self.send(data + b"\r\n")
        return self.response()

    def multiline(self) -> bytes:
        """The block after a +OK, up to and excluding the terminating CRLF.CRLF, raw."""
        while True:
            if self.buffer.startswith(b".\r\n"):
                self.buffer = self.buffer[3:]
                return b""
            end = self.buffer.find(b"\r\n.\r\n")
            if end >= 0:
                block, self.buffer = self.buffer[:end + 2], self.buffer[end + 5:]
                self.transcript.append(f"S: <{len(block)} octets>")
                return block
            if not self._fill():
                raise ConnectionError(f"connection closed inside a multi-line response\n{self.show()}")

    def stls(self) -> Response:
        reply = self.command("STLS")
        if reply.ok:
            assert not self.buffer, "bytes after +OK to STLS before the handshake"
            self.sock = client_context().wrap_socket(self.sock, server_hostname=HOSTNAME)
        return reply

    def login(self, account: Account) -> Response:
        """USER and PASS (RFC 1939 §7); the refusal of USER, if any, else the answer to PASS."""
        reply = self.command(f"USER {account.address}")
        return self.command(f"PASS {account.password}") if reply.ok else reply

    def closed(self, timeout: float = 5.0, *, close_ours: bool = True) -> bool:
        """True once the server has closed the connection (EOF, or TLS close_notify) within
        `timeout`. Then, as a client does, closes our side too unless `close_ours` is false."""
        self.sock.settimeout(timeout)
        try:
            while self._fill():
                pass
            result = True
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, ssl.SSLError, OSError):
            result = True
        if close_ours:
            self.drop()
        return result

    def drop(self) -> None:
        """Closes the socket without QUIT, as a lost connection does."""
        try:
            self.sock.close()
        except OSError:
            pass

    def show(self) -> str:
        return "\n".join(self.transcript[-40:])


def unstuff(block: bytes) -> bytes:
    """RFC 1939 §3: a line of a multi-line response that begins with "." had one more "." put in
    front of it; this removes it again."""
    lines = block.split(b"\r\n")
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)
