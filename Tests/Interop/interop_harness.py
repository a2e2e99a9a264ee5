"""Running the real `portcullis` binary for the interop suite, and reading back what it spooled.

The suite treats Portcullis as a black box through its command-line contract (DESIGN.md):
`init`, `domain add`, `user add --password-stdin`, `user disable`, `alias add`, `serve`
(prints a line containing "ready" on stdout once every listener is bound), `queue list`
and `queue show ID`. Everything it writes goes under test-artifacts/ (gitignored).
"""

from __future__ import annotations

import email.utils
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("PORTCULLIS_ARTIFACTS", REPO / "test-artifacts"))
HOSTNAME = "mail.alato.example"

# Loopback addresses standing for networks: the config lists only 127.0.0.1/32 as an access
# network, so a client bound to 127.0.0.2 is "outside" (another provider's line, the internet).
INSIDE = "127.0.0.1"
OUTSIDE = "127.0.0.2"
# Failed logins slow the next attempts from the same client (AUTH). Scenarios that
# fail on purpose use their own source addresses so the rest of the suite is not delayed.
AUTH_FAILURE_SOURCES = ["127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"]

# Limits written into the test configuration. Small on purpose so that the limit scenarios
# need little traffic; the protocol minimums (RFC 5321 §4.5.3.1.8: 100 recipients) are a
# deployment concern, the enforcement is what is tested.
MAX_MESSAGE_SIZE = 200_000
MAX_RECIPIENTS = 3
MAX_ERRORS = 5

SERVER_READY_TIMEOUT = 90.0
SERVER_STOP_TIMEOUT = 45.0
CLI_TIMEOUT = 120.0


@dataclass(frozen=True)
class Account:
    address: str
    password: str


TARO = Account("taro@alato.example", "Kasumi-gaseki 7 tsuki!")
JIRO = Account("jiro@virtual.example", "virtual-domain-pass-2")
HANAKO_DISABLED = Account("hanako@alato.example", "disabled-but-correct-1")
TARO_ALIAS = "info@alato.example"
HOSTED_DOMAINS = ["alato.example", "virtual.example"]


def portcullis_binary() -> Path:
    return Path(os.environ.get("PORTCULLIS_BIN", REPO / ".build" / "debug" / "portcullis"))


def maildir_messages(data_dir: Path, account: str) -> list[str]:
    """The messages in `account`'s Maildir `new/` under the data directory, by file name
    (none before the first delivery)."""
    local, domain = account.split("@")
    new = data_dir / "mailboxes" / domain / local / "Maildir" / "new"
    if not new.is_dir():
        return []
    return [path.read_text(encoding="utf-8", errors="replace") for path in sorted(new.iterdir())]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (bound, read, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((INSIDE, 0))
        return sock.getsockname()[1]


def unique_marker(prefix: str) -> str:
    """A token unique to one scenario, written into the message so the spool can be searched."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def wait_until(predicate, what: str, timeout: float = 30.0):
    """Polls `predicate` until it returns a true value, and returns that value; fails the
    scenario, naming `what`, when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class ServerError(AssertionError):
    """The server could not be prepared or started: a failure, never a skip."""


class PortcullisServer:
    """One Portcullis instance with its own data directory and free loopback ports.

    `initialise()` runs `portcullis init` and rewrites portcullis.toml; `start()` runs
    `portcullis serve` in the foreground and waits (bounded) for "ready"; `stop()` sends
    SIGTERM to that PID only, then SIGKILL if it does not exit in time.
    """

    def __init__(self, name: str, binary: Path | None = None, *, embedded_default: bool = False) -> None:
        self.binary = binary or portcullis_binary()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.root = ARTIFACTS / f"interop-{stamp}-{os.getpid()}-{name}"
        # embedded_default: run every command from `root` without --data-dir, as the README's
        # quick start does; the server then creates and uses ./portcullis-data.
        self.embedded_default = embedded_default
        self.data_dir = self.root / ("portcullis-data" if embedded_default else "data")
        self.log_path = self.root / "server.log"
        self.process: subprocess.Popen | None = None
        self._log_file = None
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None
        self.stdout_lines: list[str] = []
        self.smtp_port = 0
        self.submission_port = 0
        self.submissions_port = 0
        self.web_port = 0
        self.dead_port = 0
        self.pop3_port = 0
        self.pop3s_port = 0
        self.starts = 0

    # -- command line ----------------------------------------------------------------------

    def cli(self, *args: str, input: str | None = None, check: bool = True,
            timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
        """Runs `portcullis ARGS --data-dir D`; with check, a non-zero exit fails with its output."""
        command = [str(self.binary), *args, *self.location_args()]
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            result = subprocess.run(command, input=input, capture_output=True, text=True,
                                    timeout=timeout, cwd=self.root)
        except subprocess.TimeoutExpired:
            raise ServerError(f"`{' '.join(command)}` did not finish within {timeout}s") from None
        self._append_log(f"$ {' '.join(args)}\n{result.stdout}{result.stderr}[exit {result.returncode}]\n")
        if check and result.returncode != 0:
            raise ServerError(f"`portcullis {' '.join(args)}` exited {result.returncode}:\n"
                              f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def location_args(self) -> list[str]:
        return [] if self.embedded_default else ["--data-dir", str(self.data_dir)]

    def _append_log(self, text: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(text)

    # -- set-up ----------------------------------------------------------------------------

    def initialise(self, access_prefixes: tuple[str, ...] = (f"{INSIDE}/32",)) -> None:
        """`portcullis init`, then a configuration with free loopback ports and small limits."""
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        self.cli("init", "--hostname", HOSTNAME)
        for required in ("portcullis.toml", "tls/cert.pem", "tls/key.pem"):
            if not (self.data_dir / required).is_file():
                raise ServerError(f"`portcullis init` did not create {required} in {self.data_dir}")
        ports: set[int] = set()
        while len(ports) < 7:
            ports.add(free_port())
        (self.smtp_port, self.submission_port, self.submissions_port, self.web_port, self.dead_port,
         self.pop3_port, self.pop3s_port) = sorted(ports)
        (self.data_dir / "portcullis.toml").write_text(self.config_text(access_prefixes), encoding="utf-8")
        # These suites read back what was spooled: keep delivery from moving local mail into
        # Maildirs before they look. Suites that test delivery run `queue resume`.
        self.cli("queue", "pause")

    def config_text(self, access_prefixes: tuple[str, ...]) -> str:
        prefixes = ", ".join(f'"{p}"' for p in access_prefixes)
        # Route everything to a closed loopback port so that nothing leaves the machine and
        # remote mail stays queued where the tests look.
        return f"""# Written by Tests/Interop (interop_harness.py): loopback ports and small limits.
hostname = "{HOSTNAME}"

[tls]
certificate = "tls/cert.pem"
private_key = "tls/key.pem"

[directory]
url = "sqlite:directory.sqlite"

[smtp]
listen = ["{INSIDE}:{self.smtp_port}"]

[submission]
listen = ["{INSIDE}:{self.submission_port}"]
implicit_tls_listen = ["{INSIDE}:{self.submissions_port}"]
max_message_size = {MAX_MESSAGE_SIZE}
max_recipients = {MAX_RECIPIENTS}

[limits]
max_connections = 200
max_connections_per_client = 50
max_errors = {MAX_ERRORS}
command_timeout = 60
data_timeout = 60

[delivery]
nameservers = []
smtp_port = 25
routes = {{ "*" = "{INSIDE}:{self.dead_port}" }}

[[access_networks]]
name = "interop-inside"
prefixes = [{prefixes}]
op25b = true

[op25b]
mail_hosts = []

[web]
listen = ["{INSIDE}:{self.web_port}"]

[pop3]
listen = ["{INSIDE}:{self.pop3_port}"]
implicit_tls_listen = ["{INSIDE}:{self.pop3s_port}"]
"""

    def provision(self) -> None:
        """Hosted domains, accounts (one disabled) and an alias, all through the CLI."""
        for domain in HOSTED_DOMAINS:
            self.cli("domain", "add", domain)
        for account in (TARO, JIRO, HANAKO_DISABLED):
            self.cli("user", "add", account.address, "--password-stdin", input=account.password + "\n")
        self.cli("alias", "add", TARO_ALIAS, TARO.address)
        self.cli("user", "disable", HANAKO_DISABLED.address)

    # -- process ---------------------------------------------------------------------------

    def start(self, ready_timeout: float = SERVER_READY_TIMEOUT) -> None:
        """`portcullis serve` in the foreground; returns once it printed "ready" on stdout."""
        if self.process is not None and self.process.poll() is None:
            raise ServerError("server already running")
        self.starts += 1
        self._append_log(f"\n===== serve (start #{self.starts}) at {time.strftime('%H:%M:%S')} =====\n")
        self._log_file = open(self.log_path, "a", encoding="utf-8")
        self._ready = threading.Event()
        self.stdout_lines: list[str] = []
        self.process = subprocess.Popen(
            [str(self.binary), "serve", *self.location_args()],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log_file,
            text=True, bufsize=1, cwd=self.root)
        self._reader = threading.Thread(target=self._read_stdout, args=(self.process, self._ready),
                                        daemon=True)
        self._reader.start()
        deadline = time.monotonic() + ready_timeout
        while not self._ready.wait(0.1):
            if self.process.poll() is not None:
                raise ServerError(f"`portcullis serve` exited with {self.process.returncode} before "
                                  f"printing \"ready\"\n--- log ---\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"`portcullis serve` printed no \"ready\" within {ready_timeout}s"
                                  f"\n--- log ---\n{self.log_tail()}")

    def _read_stdout(self, process: subprocess.Popen, ready: threading.Event) -> None:
        # Drains stdout for the whole life of the process so the pipe can never fill up.
        assert process.stdout is not None
        for line in process.stdout:
            self.stdout_lines.append(line)
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(f"[stdout] {line}")
            if "ready" in line.lower():
                ready.set()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM to our PID, bounded wait, then SIGKILL. Returns the exit status."""
        if self.process is None:
            return None
        process = self.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._append_log(f"[harness] no exit {SERVER_STOP_TIMEOUT}s after SIGTERM: SIGKILL\n")
                process.kill()
                process.wait(10)
        self._finish()
        return process.returncode

    def kill9(self) -> None:
        """SIGKILL, as a power cut would: no chance to flush or clean up."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._append_log(f"[harness] killed with SIGKILL at {time.strftime('%H:%M:%S')}\n")
        self._finish()

    def _finish(self) -> None:
        if self._reader is not None:
            self._reader.join(5)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- the spool through the CLI ---------------------------------------------------------

    def queue_ids(self) -> list[str]:
        """`portcullis queue list`: a message line starts with its queue ID; its recipients
        follow on indented lines (CLI contract)."""
        output = self.cli("queue", "list").stdout
        return [line.split()[0] for line in output.splitlines() if line.strip() and not line[0].isspace()]

    def queue_show(self, queue_id: str) -> str:
        return self.cli("queue", "show", queue_id).stdout

    def spooled(self, queue_id: str) -> "SpooledMessage":
        return SpooledMessage.parse(self.queue_show(queue_id))


@dataclass
class SpooledMessage:
    """`queue show` output split into the envelope part and the message as spooled.

    The message begins at our Received header: the server prepends it (RFC 5321 §4.4) and the
    scenarios never send one, so the first Received: line is where the message starts.
    """

    output: str
    envelope: str
    message: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""

    @classmethod
    def parse(cls, output: str) -> "SpooledMessage":
        text = output.replace("\r\n", "\n")
        match = re.search(r"(?im)^Received:", text)
        if not match:
            return cls(output, text, "", [], "")
        envelope, message = text[:match.start()], text[match.start():]
        head, _, body = message.partition("\n\n")
        headers: list[tuple[str, str]] = []
        for line in head.split("\n"):
            if line[:1] in (" ", "\t") and headers:
                name, value = headers[-1]
                headers[-1] = (name, value + " " + line.strip())
            elif ":" in line:
                name, value = line.split(":", 1)
                headers.append((name.strip(), value.strip()))
        return cls(output, envelope, message, headers, body)

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


def check_spooled(server: PortcullisServer, queue_id: str, *, marker: str,
                  protocols: tuple[str, ...], recipients: tuple[str, ...] = (),
                  expect_single_ids: bool = False) -> SpooledMessage:
    """What every accepted-mail scenario asserts about the spool.

    - the queue ID from the 250 reply is in `queue list`;
    - `queue show` has our Received header: `by mail.alato.example` and a `with` keyword from
      `protocols` (RFC 3848: ESMTP, ESMTPS, ESMTPSA; RFC 6531 §3.7.3 for the UTF8 ones);
    - the message has exactly one valid Message-ID and one valid Date (RFC 5322 §3.6);
    - the scenario's marker is in the message and each envelope recipient is in the output.
    """
    ids = server.queue_ids()
    assert queue_id in ids, f"queue ID {queue_id} from the 250 reply is not in `queue list`: {ids}"
    spooled = server.spooled(queue_id)
    shown = f"--- queue show {queue_id} ---\n{spooled.output}"
    received = spooled.header_values("Received")
    assert received, f"no Received header in the spooled message\n{shown}"
    ours = [value for value in received if re.search(rf"\bby\s+{re.escape(HOSTNAME)}\b", value, re.I)]
    assert ours, f"no Received header with `by {HOSTNAME}`\n{shown}"
    with_pattern = "|".join(re.escape(p) for p in protocols)
    assert any(re.search(rf"\bwith\s+(?:{with_pattern})\b", value) for value in ours), \
        f"our Received header lacks `with {' or '.join(protocols)}`: {ours}\n{shown}"
    message_ids = spooled.header_values("Message-ID")
    assert len(message_ids) == 1, f"expected exactly one Message-ID, found {message_ids}\n{shown}"
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message_ids[0]), \
        f"Message-ID is not <left@right> (RFC 5322 §3.6.4): {message_ids[0]!r}\n{shown}"
    dates = spooled.header_values("Date")
    assert len(dates) == 1, f"expected exactly one Date, found {dates}\n{shown}"
    try:
        parsed = email.utils.parsedate_to_datetime(dates[0])
    except (TypeError, ValueError):
        parsed = None
    assert parsed is not None, f"Date is not an RFC 5322 date: {dates[0]!r}\n{shown}"
    assert marker in spooled.message, f"marker {marker} not in the spooled message\n{shown}"
    for recipient in recipients:
        assert recipient.lower() in spooled.output.lower(), \
            f"envelope recipient {recipient} not shown by `queue show`\n{shown}"
    return spooled


def read_config_limit(server: PortcullisServer, key: str) -> int:
    """An integer from [limits] of the configuration the harness wrote (so tests follow it)."""
    import tomllib
    with open(server.data_dir / "portcullis.toml", "rb") as handle:
        return int(tomllib.load(handle)["limits"][key])


def make_message(sender: str, recipients: list[str] | tuple[str, ...], subject: str, marker: str,
                 *, message_id: bool = True, date: bool = True, from_header: str | None = None,
                 body: str | None = None) -> str:
    """A small RFC 5322 message with CRLF line ends; Message-ID/Date can be left out on purpose."""
    headers = [f"From: {from_header or sender}", f"To: {', '.join(recipients)}", f"Subject: {subject} {marker}"]
    if date:
        headers.append(f"Date: {email.utils.formatdate(localtime=False)}")
    if message_id:
        headers.append(f"Message-ID: <{marker}@client.example>")
    text = body if body is not None else f"Hello from the interop suite.\r\nMarker: {marker}\r\n"
    return "\r\n".join(headers) + "\r\n\r\n" + text


def require_peer(program: str) -> str:
    """The path of a real client the suite drives; a missing peer is a failure, never a silent pass."""
    path = shutil.which(program)
    if path is None:
        raise AssertionError(f"peer `{program}` is not installed (apt-get install {program}); "
                             "the README's test command installs it")
    return path
