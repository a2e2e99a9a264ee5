"""One private Dovecot master (`dovecot -F -c FILE`), started and stopped by its PID.

Shared by the POP3 reference peer (pop3/dovecot_peer.py) and the mailbox tier
(cluster/dovecot_tier.py): each writes its own configuration, this runs it.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


class DovecotError(AssertionError):
    """Dovecot could not be configured or started: a failure, never a skip."""


class DovecotMaster:
    def __init__(self, config_path: Path, log_path: Path, stderr_path: Path) -> None:
        self.config_path = config_path
        self.log_path = log_path
        self.stderr_path = stderr_path
        self.process: subprocess.Popen | None = None

    def start(self, host: str, ports: list[int], timeout: float = 30.0,
              required: tuple[str, ...] = (), install_hint: str = "dovecot-core") -> None:
        """Checks the configuration with `doveconf -n`, starts the master in the foreground and
        waits until every port in `ports` accepts connections."""
        dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
        for program in (dovecot, *required):
            if not Path(program).exists():
                raise DovecotError(f"{program} is missing (apt-get install {install_hint}; "
                                   "scripts/install-test-deps installs it)")
        check = subprocess.run([dovecot, "-c", str(self.config_path), "-n"], capture_output=True, text=True)
        if check.returncode != 0:
            raise DovecotError(f"doveconf refused {self.config_path}:\n{check.stderr}")
        self.process = subprocess.Popen([dovecot, "-F", "-c", str(self.config_path)],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=open(self.stderr_path, "ab"))
        deadline = time.monotonic() + timeout
        for port in ports:
            while True:
                if self.process.poll() is not None:
                    raise DovecotError(f"dovecot exited {self.process.returncode}:\n{self.log_tail()}")
                try:
                    socket.create_connection((host, port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise DovecotError(f"dovecot did not listen on {port} within {timeout}s\n{self.log_tail()}")
                    time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        texts = []
        for path in (self.log_path, self.stderr_path):
            if path.exists():
                texts.append("\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(texts) or "(no log)"
