"""A Portcullis instance for the benchmarks, driven only through its command-line contract.

A template data directory is made once (`portcullis init`, `domain add`, `user add`); every
measured run copies it, so each run starts with an empty spool and its own peak RSS, exactly
like the fresh Postfix instance it is compared with.

Equivalent setup to the private Postfix: the port-25 service on loopback relays anything from
the access network 127.0.0.0/8 to an smtp-sink through the static route `"*"`; submission
(STARTTLS + AUTH) on its own port; info-level logs to a file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import procfs

HOSTNAME = "mail.alato.example"


@dataclass
class PortcullisPorts:
    smtp: int
    submission: int
    submissions: int
    web: int
    relay: int          # the smtp-sink that the "*" route points at


class PortcullisInstance:
    """One `portcullis serve` process, started and stopped by its PID."""

    def __init__(self, binary: Path, root: Path, ports: PortcullisPorts, template: Path,
                 max_connections: int = 20000, max_connections_per_client: int = 1000,
                 abuse_accounting: bool = True) -> None:
        self.binary = binary
        self.root = root
        self.data_dir = root / "data"
        self.ports = ports
        self.template = template
        self.max_connections = max_connections
        self.max_connections_per_client = max_connections_per_client
        # 100,000,000 is the largest value the loader takes; 0 switches a limit (and its
        # accounting) off, for the diagnostic run that measures what the accounting costs.
        self.abuse_limit = 100_000_000 if abuse_accounting else 0
        self.process: subprocess.Popen | None = None
        self.stdout_path = root / "serve.stdout"
        self.log_path = root / "serve.log"

    @staticmethod
    def make_template(binary: Path, template: Path, accounts: list[tuple[str, str]]) -> None:
        """`portcullis init` plus the hosted domain and the submission accounts."""
        if template.exists():
            shutil.rmtree(template)
        template.parent.mkdir(parents=True, exist_ok=True)

        def cli(*args: str, stdin: str | None = None) -> None:
            result = subprocess.run([str(binary), *args, "--data-dir", str(template)], input=stdin,
                                    capture_output=True, text=True, timeout=120)
            if result.returncode != 0:
                raise RuntimeError(f"portcullis {' '.join(args)} failed: {result.stderr.strip()}")

        cli("init", "--hostname", HOSTNAME)
        domains = sorted({address.partition("@")[2] for address, _ in accounts})
        for domain in domains:
            cli("domain", "add", domain, "--primary")
        for address, password in accounts:
            cli("user", "add", address, "--password-stdin", stdin=password + "\n")

    def abuse_override(self) -> str:
        return "" if self.abuse_limit else "\n# Diagnostic run: limits and their accounting switched off."

    def config_text(self) -> str:
        ports = self.ports
        return f"""# Benchmark instance (Benchmarks/portbench/portcullis.py); loopback only.
hostname = "{HOSTNAME}"

[tls]
certificate = "tls/cert.pem"
private_key = "tls/key.pem"

[directory]
url = "sqlite:directory.sqlite"

[smtp]
listen = ["127.0.0.1:{ports.smtp}"]

[submission]
listen = ["127.0.0.1:{ports.submission}"]
implicit_tls_listen = ["127.0.0.1:{ports.submissions}"]
max_message_size = 26214400
max_recipients = 100

[limits]
max_connections = {self.max_connections}
max_connections_per_client = {self.max_connections_per_client}
max_errors = 10
command_timeout = 300
data_timeout = 600
shutdown_grace = 5

[abuse]
# One client address and one account send tens of thousands of messages here. The limits are
# put out of reach rather than switched off (0), so that the accounting every message costs
# in production (counters in the directory) is still paid.{self.abuse_override()}
messages_per_hour = {self.abuse_limit}
recipients_per_day = {self.abuse_limit}
connections_per_minute = {self.abuse_limit}
burst_min_recipients = {self.abuse_limit}

[delivery]
nameservers = []
smtp_port = 25
routes = {{ "*" = "127.0.0.1:{ports.relay}" }}

[[access_networks]]
name = "bench-loopback"
prefixes = ["127.0.0.0/8"]
op25b = false

[op25b]
mail_hosts = []

[web]
listen = ["127.0.0.1:{ports.web}"]

[pop3]
# Not measured here. Off, so that its fixed default ports cannot clash with another instance
# (a second benchmark on the same machine).
listen = []
implicit_tls_listen = []
"""

    def start(self, timeout: float = 60) -> int:
        """Copies the template, writes the config, runs `serve` and waits for "ready"."""
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        shutil.copytree(self.template, self.data_dir)
        (self.data_dir / "portcullis.toml").write_text(self.config_text(), encoding="utf-8")
        self.process = subprocess.Popen(
            [str(self.binary), "serve", "--data-dir", str(self.data_dir)],
            stdout=open(self.stdout_path, "wb"), stderr=open(self.log_path, "wb"), stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                # The directory may be gone by the time anyone looks: the log's last lines go with the error.
                tail = " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-3:])
                raise RuntimeError(f"portcullis serve exited with {self.process.returncode}: {tail}")
            if b"ready" in self.stdout_path.read_bytes():
                return self.process.pid
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"portcullis serve did not print ready within {timeout} s; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def spooled_messages(self) -> int:
        queue = self.data_dir / "spool" / "queue"
        try:
            return sum(1 for name in os.listdir(queue) if name.endswith(".envelope"))
        except FileNotFoundError:
            return 0

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (sessions get shutdown_grace), then SIGKILL to this PID if it lingers."""
        procfs.terminate(self.process, timeout)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

