"""Real peers for the delivery scenarios: dnsmasq (DNS), Postfix's smtp-sink (the remote MX)
and a small scripted SMTP server that answers 4xx, then 2xx, or 5xx, per recipient.

Each peer listens on 127.0.0.1 and a free port and is stopped by PID (never by name).
A missing program fails the scenario by name; nothing is skipped silently.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def require(program: str) -> str:
    for candidate in (shutil.which(program), f"/usr/sbin/{program}", f"/usr/bin/{program}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(f"{program} is not installed (scripts/install-test-deps installs it)")


class Process:
    """A child we started; stop() kills that PID only."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.log = open(log, "ab")
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.log.close()


class Dnsmasq(Process):
    """dnsmasq answering for the test zones; unknown names in them are NXDOMAIN."""

    def __init__(self, root: Path, records: list[str]) -> None:
        self.port = free_port()
        argv = [require("dnsmasq"), "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=127.0.0.1", f"--port={self.port}", "--user=root", "--pid-file=",
                *records]
        super().__init__(argv, root / "dnsmasq.log")
        wait_for_port(self.port)


class SmtpSink(Process):
    """Postfix's smtp-sink; every transaction is dumped to a file in `dump`."""

    def __init__(self, root: Path, port: int | None = None, options: list[str] | None = None) -> None:
        self.port = port or free_port()
        # smtp-sink runs as the postfix user: its dump folder must be reachable by it, and
        # pytest's own temporary folders are private to root.
        holder = Path(tempfile.mkdtemp(prefix="portcullis-sink-"))
        os.chmod(holder, 0o755)
        self.dump = holder / "dump"
        self.dump.mkdir()
        os.chmod(self.dump, 0o777)
        argv = [require("smtp-sink")]
        if os.geteuid() == 0:
            argv += ["-u", "postfix"]
        argv += [*(options or []), "-d", f"{self.dump}/%Y%m%d%H%M%S.", f"127.0.0.1:{self.port}", "256"]
        super().__init__(argv, root / "smtp-sink.log")
        wait_for_port(self.port)

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.dump.parent, ignore_errors=True)

    def messages(self) -> list[str]:
        out = []
        for path in sorted(self.dump.iterdir()):
            try:
                out.append(path.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                pass
        return out


class ScriptedServer:
    """A minimal SMTP server: per recipient local part, `later*` gets 451 on the first
    attempt and 250 afterwards, `reject*` always gets 550, anything else 250. Accepted
    messages are kept in `messages` (envelope and data)."""

    def __init__(self, size_limit: int | None = None, tls_files: tuple[Path, Path] | None = None,
                 broken_tls: bool = False, port: int | None = None) -> None:
        self.port = port or free_port()
        self.size_limit = size_limit
        self.broken_tls = broken_tls
        self.tls_context = None
        if tls_files is not None:
            import ssl
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(str(tls_files[0]), str(tls_files[1]))
        self.attempts: dict[str, int] = {}
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 30

            def reply(self, text: str) -> None:
                self.wfile.write((text + "\r\n").encode())

            def handle(self) -> None:
                self.reply("220 scripted.example ESMTP")
                sender, recipients = None, []
                tls = False
                while True:
                    line = self.rfile.readline(4096)
                    if not line:
                        return
                    command = line.decode("utf-8", "replace").rstrip("\r\n")
                    verb = command[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-scripted.example")
                        if outer.size_limit is not None:
                            self.reply(f"250-SIZE {outer.size_limit}")
                        if (outer.tls_context is not None or outer.broken_tls) and not tls:
                            self.reply("250-STARTTLS")
                        self.reply("250-8BITMIME")
                        self.reply("250 ENHANCEDSTATUSCODES")
                    elif verb == "STAR" and outer.broken_tls:
                        # Accept STARTTLS, then answer the ClientHello with clear text.
                        self.reply("220 2.0.0 Ready to start TLS")
                        self.wfile.write(b"this is not TLS\r\n")
                        return
                    elif verb == "STAR" and outer.tls_context is not None and not tls:
                        self.reply("220 2.0.0 Ready to start TLS")
                        self.wfile.flush()
                        self.request = outer.tls_context.wrap_socket(self.request, server_side=True)
                        self.rfile = self.request.makefile("rb")
                        self.wfile = self.request.makefile("wb", buffering=0)
                        tls = True
                        sender, recipients = None, []
                    elif verb == "HELO":
                        self.reply("250 scripted.example")
                    elif verb == "MAIL":
                        sender, recipients = command, []
                        self.reply("250 2.1.0 Ok")
                    elif verb == "RCPT":
                        address = command.split("<", 1)[1].split(">", 1)[0]
                        local = address.split("@", 1)[0].lower()
                        with outer.lock:
                            outer.attempts[address] = outer.attempts.get(address, 0) + 1
                            count = outer.attempts[address]
                        if local.startswith("reject"):
                            self.reply("550 5.1.1 <%s>: Recipient address rejected: no such user here" % address)
                        elif local.startswith("later") and count == 1:
                            self.reply("451 4.3.0 <%s>: try again later, greylisted" % address)
                        else:
                            recipients.append(address)
                            self.reply("250 2.1.5 Ok")
                    elif verb == "DATA":
                        if not recipients:
                            self.reply("554 5.5.1 No valid recipients")
                            continue
                        self.reply("354 go ahead")
                        data = []
                        while True:
                            chunk = self.rfile.readline(65536)
                            if not chunk or chunk in (b".\r\n", b".\n"):
                                break
                            data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        with outer.lock:
                            outer.messages.append({"mail": sender, "rcpt": list(recipients), "data": b"".join(data),
                                                   "tls": tls})
                        self.reply("250 2.0.0 Ok: queued")
                    elif verb == "RSET":
                        sender, recipients = None, []
                        self.reply("250 2.0.0 Ok")
                    elif verb == "QUIT":
                        self.reply("221 2.0.0 Bye")
                        return
                    else:
                        self.reply("502 5.5.2 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
