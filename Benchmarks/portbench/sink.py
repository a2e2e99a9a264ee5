"""An `smtp-sink` on loopback whose message counter we can read while it runs.

`smtp-sink -c` prints `sess=N quit=N mesg=N` followed by a carriage return after every
session end, QUIT and end of DATA; a reader thread keeps the last `mesg=` value. (Postfix's
MACHINE-NOTES: `-M N` is not usable to detect completion, it exits before answering the last
message.)
"""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from pathlib import Path

_COUNTER = re.compile(rb"mesg=(\d+)")


class SmtpSink:
    """One smtp-sink process (started by us, stopped by its PID)."""

    def __init__(self, port: int, log_dir: Path, name: str) -> None:
        self.port = port
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self._messages = 0
        self._arrivals: list[float] = []   # time.monotonic() at which each message was counted
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._reader: threading.Thread | None = None

    @property
    def messages(self) -> int:
        with self._lock:
            return self._messages

    def start(self) -> None:
        # -u postfix: smtp-sink refuses to run as root. Backlog 1024 and up to 1024
        # simultaneous connections so that the sink is never what limits a server's delivery.
        command = ["smtp-sink", "-u", "postfix", "-c", "-m", "1024", f"127.0.0.1:{self.port}", "1024"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=open(self.log_path, "ab"),
                                        stdin=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read, name=f"{self.name}-reader", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"smtp-sink on port {self.port} exited; see {self.log_path}")
                time.sleep(0.05)
        raise RuntimeError(f"smtp-sink on port {self.port} did not listen within 10 s")

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        pending = b""
        while True:
            chunk = self.process.stdout.read1(65536)
            if not chunk:
                return
            pending += chunk
            records = pending.split(b"\r")
            pending = records.pop()
            last = None
            for record in records:
                match = _COUNTER.search(record)
                if match:
                    last = int(match.group(1))
            if last is not None:
                now = time.monotonic()
                with self._changed:
                    self._arrivals.extend([now] * max(0, last - self._messages))
                    self._messages = max(self._messages, last)
                    self._changed.notify_all()

    def wait_for(self, count: int, timeout: float, idle_timeout: float | None = None) -> bool:
        """Waits until the sink has counted `count` messages.

        Gives up after `timeout` seconds, or after `idle_timeout` seconds without any new
        message (a server that stopped delivering should not cost the whole timeout).
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            last_value, last_change = self._messages, time.monotonic()
            while self._messages < count:
                now = time.monotonic()
                if now >= deadline:
                    return False
                if idle_timeout is not None and now - last_change >= idle_timeout:
                    return False
                self._changed.wait(timeout=min(0.5, deadline - now))
                if self._messages != last_value:
                    last_value, last_change = self._messages, time.monotonic()
            return True

    def arrival_of(self, count: int, timeout: float) -> float | None:
        """The `time.monotonic()` at which the sink counted its `count`-th message (waiting up
        to `timeout` seconds for it), or None if it did not arrive."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._messages < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(timeout=left)
            return self._arrivals[count - 1]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
