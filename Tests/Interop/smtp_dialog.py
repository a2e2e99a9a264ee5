"""A raw SMTP dialog over a socket, for the interop scenarios that real clients cannot express.

Real clients (swaks, curl, smtplib, msmtp) normalise what they send: they never emit a bare LF,
never pipeline behind STARTTLS, never send a 100 kB command line. The negative scenarios need
exactly those bytes on the wire, so this helper sends what it is told, byte for byte, and reads
replies with a deadline.

Every network operation has a timeout and every loop is bounded, so a server that hangs or
floods makes a test fail with a transcript instead of hanging the suite.
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
import time
from dataclasses import dataclass, field

# RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; allow generous slack for
# servers that are verbose, but stay bounded.
MAX_REPLY_LINE = 8192
# No sane reply (EHLO included) has this many lines; past it the peer is flooding us.
MAX_REPLY_LINES = 200

DEFAULT_TIMEOUT = 20.0

_REPLY_LINE = re.compile(rb"^(\d{3})([ -])(.*)$", re.DOTALL)
# RFC 3463 §2: class "." subject "." detail, at the start of the reply text (RFC 2034 §4).
_ENHANCED = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)")
_QUEUED = re.compile(r"^Ok: queued as (\S+)$")


class DialogError(AssertionError):
    """The peer did something a test did not expect (timeout, close, malformed reply).

    It is an AssertionError so pytest reports it as a test failure, with the transcript.
    """


@dataclass
class Reply:
    """One complete (possibly multi-line) SMTP reply (RFC 5321 §4.2)."""

    code: int
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text of the first line, enhanced code included."""
        return self.lines[0] if self.lines else ""

    @property
    def enhanced(self) -> str | None:
        """The RFC 3463 enhanced status code of the first line, if any."""
        match = _ENHANCED.match(self.text)
        return match.group(1) if match else None

    @property
    def queue_id(self) -> str | None:
        """The queue ID of a `250 2.0.0 Ok: queued as ID` reply (the CLI contract), else None."""
        if self.code != 250 or self.enhanced != "2.0.0":
            return None
        match = _QUEUED.match(self.text[len("2.0.0 "):])
        return match.group(1) if match else None

    @property
    def keywords(self) -> list[str]:
        """For an EHLO reply: the extension lines after the greeting, upper-cased keyword first."""
        return [line.strip() for line in self.lines[1:]]

    def has_keyword(self, keyword: str) -> bool:
        """Whether an EHLO reply advertises `keyword` (RFC 5321 §4.1.1.1: keywords are case-insensitive)."""
        keyword = keyword.upper()
        return any(line.split(" ", 1)[0].upper() == keyword for line in self.keywords)

    def keyword_params(self, keyword: str) -> list[str] | None:
        """Parameters of an EHLO keyword, e.g. ['PLAIN', 'LOGIN'] for AUTH; None if absent."""
        keyword = keyword.upper()
        for line in self.keywords:
            parts = line.split()
            if parts and parts[0].upper() == keyword:
                return parts[1:]
        return None

    def is_(self, code: int, enhanced: str | None = None) -> bool:
        return self.code == code and (enhanced is None or self.enhanced == enhanced)

    def __str__(self) -> str:
        if not self.lines:
            return f"{self.code}"
        out = [f"{self.code}-{line}" for line in self.lines[:-1]]
        out.append(f"{self.code} {self.lines[-1]}")
        return "\n".join(out)


def tls_client_context() -> ssl.SSLContext:
    """A client context that accepts the self-signed test certificate but still requires TLS 1.2+."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class SMTPDialog:
    """A client connection that sends exact bytes and reads whole replies with a deadline.

    Usage:
        with SMTPDialog("127.0.0.1", port, source="127.0.0.2") as s:
            s.expect(s.read_reply(), 220)
            s.expect(s.command("EHLO client.example"), 250)
    """

    def __init__(self, host: str, port: int, *, source: str | None = None,
                 implicit_tls: bool = False, timeout: float = DEFAULT_TIMEOUT,
                 server_name: str = "mail.alato.example") -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.server_name = server_name
        self.transcript: list[str] = []
        self._buffer = bytearray()
        self.tls = False
        self.closed_by_peer = False
        self.sock = socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0) if source else None)
        self.sock.settimeout(timeout)
        self._note("*", f"connected {self.sock.getsockname()[0]} -> {host}:{port}")
        if implicit_tls:
            self.handshake()

    # -- context manager -------------------------------------------------------------------

    def __enter__(self) -> "SMTPDialog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    # -- transcript --------------------------------------------------------------------------

    def _note(self, direction: str, text: str) -> None:
        # Long payloads (oversized lines, big bodies) would drown the transcript: abbreviate.
        if len(text) > 400:
            text = text[:300] + f"... [{len(text)} chars] ..." + text[-60:]
        self.transcript.append(f"{direction}: {text}")

    def dump(self) -> str:
        """The dialog so far, C: for what we sent, S: for what the server replied."""
        return "\n".join(self.transcript[-120:])

    def fail(self, message: str) -> DialogError:
        return DialogError(f"{message}\n--- transcript ---\n{self.dump()}")

    # -- sending ---------------------------------------------------------------------------

    def send(self, data: bytes | str) -> None:
        """Sends raw bytes exactly as given (no CRLF added, no dot-stuffing)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._note("C", data.decode("utf-8", "backslashreplace").encode("unicode_escape").decode("ascii"))
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as error:
            # The server may refuse early (an oversized body) and close; the reply it sent
            # before closing is still readable, so the caller decides what this means.
            self.closed_by_peer = True
            self._note("*", f"send failed: {error!r}")
        except socket.timeout:
            raise self.fail(f"send blocked for {self.timeout}s: the server stopped reading") from None

    def line(self, text: str) -> None:
        """Sends one command line terminated by CRLF."""
        self.send(text.encode("utf-8") + b"\r\n")

    # -- receiving -------------------------------------------------------------------------

    def _fill(self, deadline: float) -> bool:
        """Reads more bytes into the buffer; False on EOF. Raises DialogError on timeout."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self.fail("timed out waiting for the server")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise self.fail("timed out waiting for the server") from None
        except (ConnectionResetError, ssl.SSLError) as error:
            self._note("*", f"receive failed: {error!r}")
            self.closed_by_peer = True
            return False
        if not chunk:
            self.closed_by_peer = True
            return False
        self._buffer.extend(chunk)
        return True

    def _read_line(self, deadline: float) -> bytes | None:
        while True:
            index = self._buffer.find(b"\n")
            if index >= 0:
                raw = bytes(self._buffer[:index + 1])
                del self._buffer[:index + 1]
                return raw
            if len(self._buffer) > MAX_REPLY_LINE:
                raise self.fail(f"reply line longer than {MAX_REPLY_LINE} octets")
            if not self._fill(deadline):
                return None

    def read_reply(self, timeout: float | None = None) -> Reply:
        """Reads one complete reply (all continuation lines). Fails on timeout or close."""
        reply = self.try_read_reply(timeout)
        if reply is None:
            raise self.fail("connection closed by the server while waiting for a reply")
        return reply

    def try_read_reply(self, timeout: float | None = None) -> Reply | None:
        """Like read_reply, but returns None if the server closed the connection cleanly first."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        lines: list[str] = []
        code: int | None = None
        for _ in range(MAX_REPLY_LINES):
            raw = self._read_line(deadline)
            if raw is None:
                if lines:
                    raise self.fail("connection closed in the middle of a multi-line reply")
                self._note("*", "connection closed by server")
                return None
            if not raw.endswith(b"\r\n"):
                raise self.fail(f"reply line not terminated by CRLF: {raw!r}")
            match = _REPLY_LINE.match(raw[:-2])
            if not match:
                raise self.fail(f"malformed reply line: {raw!r}")
            line_code = int(match.group(1))
            if code is not None and line_code != code:
                raise self.fail(f"reply code changed inside a multi-line reply: {raw!r}")
            code = line_code
            text = match.group(3).decode("utf-8", "replace")
            lines.append(text)
            self._note("S", f"{line_code}{match.group(2).decode()}{text}")
            if match.group(2) == b" ":
                return Reply(code, lines)
        raise self.fail(f"more than {MAX_REPLY_LINES} reply lines")

    def read_replies(self, count: int, timeout: float | None = None) -> list[Reply]:
        return [self.read_reply(timeout) for _ in range(count)]

    def drain(self, seconds: float) -> list[Reply]:
        """Every reply that arrives within `seconds` (until quiet or close); for "nothing more came"."""
        replies: list[Reply] = []
        deadline = time.monotonic() + seconds
        for _ in range(MAX_REPLY_LINES):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                reply = self.try_read_reply(remaining)
            except DialogError as error:
                if "timed out" in str(error):
                    break
                raise
            if reply is None:
                break
            replies.append(reply)
        return replies

    def pending_bytes(self, seconds: float) -> bytes:
        """Bytes that arrive within `seconds` without waiting for a full reply (nothing = b'')."""
        received = bytes(self._buffer)
        self._buffer.clear()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except (ConnectionResetError, ssl.SSLError):
                self.closed_by_peer = True
                break
            if not chunk:
                self.closed_by_peer = True
                break
            received += chunk
        if received:
            self._note("S", f"(unexpected bytes) {received!r}")
        return received

    def wait_closed(self, seconds: float) -> bool:
        """True if the server closes the connection within `seconds` (extra bytes are recorded)."""
        if self.closed_by_peer:
            return True
        self.pending_bytes(seconds)
        return self.closed_by_peer

    # -- commands --------------------------------------------------------------------------

    def command(self, text: str, timeout: float | None = None) -> Reply:
        """Sends one command line and reads its reply."""
        self.line(text)
        return self.read_reply(timeout)

    def expect(self, reply: Reply, code: int, enhanced: str | None = None, what: str = "") -> Reply:
        """Asserts an exact reply code (and enhanced code when given), with the transcript on failure."""
        if reply.code != code or (enhanced is not None and reply.enhanced != enhanced):
            wanted = f"{code} {enhanced}" if enhanced else f"{code}"
            raise self.fail(f"{what or 'reply'}: expected {wanted}, got {reply.code} {reply.text!r}")
        return reply

    def expect_one_of(self, reply: Reply, allowed: list[tuple[int, str | None]], what: str = "") -> Reply:
        for code, enhanced in allowed:
            if reply.code == code and (enhanced is None or reply.enhanced == enhanced):
                return reply
        wanted = " or ".join(f"{c} {e}" if e else str(c) for c, e in allowed)
        raise self.fail(f"{what or 'reply'}: expected {wanted}, got {reply.code} {reply.text!r}")

    def greeting(self) -> Reply:
        return self.expect(self.read_reply(), 220, what="greeting")

    def ehlo(self, name: str = "client.example") -> Reply:
        return self.expect(self.command(f"EHLO {name}"), 250, what="EHLO")

    def handshake(self) -> None:
        """Performs the TLS handshake on the current socket (after a 220 to STARTTLS, or at once)."""
        context = tls_client_context()
        self.sock.settimeout(self.timeout)
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=self.server_name)
        except (ssl.SSLError, OSError) as error:
            raise self.fail(f"TLS handshake failed: {error!r}") from None
        self.tls = True
        self._note("*", f"TLS established: {self.sock.version()} {self.sock.cipher()[0]}")

    def starttls(self) -> Reply:
        """STARTTLS (RFC 3207): expects 220, then performs the handshake on the same socket."""
        reply = self.expect(self.command("STARTTLS"), 220, what="STARTTLS")
        if self._buffer:
            raise self.fail(f"plaintext bytes after the 220 to STARTTLS: {bytes(self._buffer)!r}")
        self.handshake()
        return reply

    def auth_plain(self, user: str, password: str, timeout: float = 40.0) -> Reply:
        """AUTH PLAIN with an initial response (RFC 4616, RFC 4954 §4). Returns the final reply."""
        token = base64.b64encode(f"\0{user}\0{password}".encode("utf-8")).decode("ascii")
        return self.command(f"AUTH PLAIN {token}", timeout=timeout)

    def auth_login(self, user: str, password: str, timeout: float = 40.0) -> Reply:
        """AUTH LOGIN: username and password each after a 334 challenge."""
        first = self.command("AUTH LOGIN")
        if first.code != 334:
            return first
        second = self.command(base64.b64encode(user.encode("utf-8")).decode("ascii"))
        if second.code != 334:
            return second
        return self.command(base64.b64encode(password.encode("utf-8")).decode("ascii"), timeout=timeout)

    def login_submission(self, user: str, password: str) -> Reply:
        """Greeting, EHLO, STARTTLS, EHLO, AUTH PLAIN: the standard submission preamble."""
        self.greeting()
        self.ehlo()
        self.starttls()
        ehlo = self.ehlo()
        self.expect(self.auth_plain(user, password), 235, "2.7.0", what="AUTH PLAIN")
        return ehlo

    def send_data(self, message: str | bytes, timeout: float | None = None) -> Reply:
        """After a 354: sends the message dot-stuffed (RFC 5321 §4.5.2) and the final CRLF.CRLF."""
        if isinstance(message, str):
            message = message.encode("utf-8")
        self.send(dot_stuff(message) + b".\r\n")
        return self.read_reply(timeout)

    def quit(self) -> None:
        """QUIT if the connection is still open; tolerates a server that already closed."""
        if self.closed_by_peer:
            return
        try:
            self.line("QUIT")
            self.try_read_reply(5)
            # RFC 5321 §4.1.1.10: the server closes after 221; wait for it so that neither side
            # sees a reset (and the server log stays free of client-caused errors).
            self.wait_closed(2)
        except (DialogError, OSError):
            pass


def dot_stuff(message: bytes) -> bytes:
    """Dot-stuffs a CRLF message (RFC 5321 §4.5.2) and makes sure it ends with CRLF."""
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    lines = message.split(b"\r\n")
    stuffed = [b"." + line if line.startswith(b".") else line for line in lines]
    return b"\r\n".join(stuffed)
