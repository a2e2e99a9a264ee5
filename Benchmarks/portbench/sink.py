"""An `smtp-sink` on loopback whose message counter we can read while it runs.

`smtp-sink -c` prints `sess=N quit=N mesg=N` followed by a carriage return after every
session end, QUIT and end of DATA; a reader thread keeps the last `mesg=` value. (Postfix's
MACHINE-NOTES: `-M N` is not usable to detect completion, it exits before answering the last
message.)

The counter counts deliveries, not messages: a message the server delivers twice counts twice.
With `dump_dir` the sink also writes each transaction to its own file (`smtp-sink -d`, on a
tmpfs so the sink does no disk I/O), and `distinct()` counts the distinct messages among them.
What makes two messages distinct is the header block the server under test passed on: its own
Received header (queue ID and time) and smtp-source's Date and Message-Id. smtp-source cannot
put a token of ours in each message, and its Message-Id alone is not unique (it is built from
its PID, a descriptor number and a counter); the server's queue ID is unique per accepted
message, and a second delivery of the same message carries the same header block.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_COUNTER = re.compile(rb"mesg=(\d+)")
_DUMP_PREFIX = "m."
_HEADER_LIMIT = 16384   # the header block of a message relayed once is well under this


@dataclass
class DumpCount:
    """What the sink's dump directory holds."""
    files: int                  # deliveries
    distinct: int               # distinct messages
    first_arrivals: list[float]  # wall-clock mtime of each distinct message's first file, sorted

    @property
    def duplicates(self) -> int:
        return self.files - self.distinct


def message_token(header: bytes) -> bytes:
    """The header block of one dumped transaction without what the sink itself wrote.

    smtp-sink writes X-Client-*/X-Helo-Args/X-Mail-Args/X-Rcpt-Args and its own Received
    header (with its random transaction ID) first; what follows, up to the empty line, is
    the header block as the client sent it.
    """
    lines = header.split(b"\n")
    index = 0
    while index < len(lines) and lines[index].startswith(b"X-"):
        index += 1
    if index < len(lines) and lines[index].startswith(b"Received:"):
        index += 1
        while index < len(lines) and lines[index][:1] in (b" ", b"\t"):
            index += 1
    end = lines.index(b"", index) if b"" in lines[index:] else len(lines)
    return b"\n".join(lines[index:end])


class SmtpSink:
    """One smtp-sink process (started by us, stopped by its PID)."""

    def __init__(self, port: int, log_dir: Path, name: str, dump_dir: Path | None = None) -> None:
        self.port = port
        self.name = name
        self.dump_dir = dump_dir
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
        command = ["smtp-sink", "-u", "postfix", "-c", "-m", "1024"]
        if self.dump_dir is not None:
            self.dump_dir.mkdir(parents=True, exist_ok=True)
            postfix = pwd.getpwnam("postfix")
            os.chown(self.dump_dir, postfix.pw_uid, postfix.pw_gid)
            # No strftime conversions: smtp-sink appends a random ID and retries on a clash.
            command += ["-d", f"{self.dump_dir}/{_DUMP_PREFIX}"]
        command += [f"127.0.0.1:{self.port}", "1024"]
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

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def clear_dumps(self) -> None:
        """Removes the dumped transactions (call it only while no transaction is open)."""
        if self.dump_dir is None:
            return
        for entry in os.scandir(self.dump_dir):
            if entry.name.startswith(_DUMP_PREFIX):
                os.unlink(entry.path)

    def distinct(self) -> DumpCount:
        """Counts the dumped transactions and the distinct messages among them."""
        if self.dump_dir is None:
            raise RuntimeError(f"{self.name} was started without a dump directory")
        first: dict[bytes, float] = {}
        files = 0
        for entry in os.scandir(self.dump_dir):
            if not entry.name.startswith(_DUMP_PREFIX):
                continue
            try:
                with open(entry.path, "rb") as handle:
                    token = message_token(handle.read(_HEADER_LIMIT))
                mtime = entry.stat().st_mtime
            except FileNotFoundError:
                continue
            files += 1
            if token not in first or mtime < first[token]:
                first[token] = mtime
        return DumpCount(files=files, distinct=len(first), first_arrivals=sorted(first.values()))

    def stop(self) -> None:
        self._stop_process()
        if self.dump_dir is not None:
            shutil.rmtree(self.dump_dir, ignore_errors=True)

    def _stop_process(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
