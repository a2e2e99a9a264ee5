"""The two servers under test behind one small interface, so every measurement treats them alike.

Each `start()` gives a fresh instance (empty queue, new processes), so the peak RSS of a run
belongs to that run only. `root_pid` is the process whose tree holds the server: Postfix's
master (daemons are its children), or the single `portcullis serve` process.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .portcullis import PortcullisInstance, PortcullisPorts
from .postfix import PostfixInstance, SaslAccount
from .sink import SmtpSink


def settle_filesystem(seconds: float) -> None:
    """Lets the file system forget the files the previous run deleted, before the next run.

    This machine's ext4 has no journal, and without one the inode allocator skips every inode
    deleted less than 60 s ago (fs/ext4/ialloc.c, find_inode_bit -> recently_deleted; 360 s
    while the inode table block is still dirty), one buffer lookup each. A run that starts
    right after 20,000 spool files were removed pays for them in every file it creates, so
    each run would be taxed by the one before it. `sync` writes the inode tables back, then we
    wait out the 60 s window. Deletions a server makes during its own run still count against
    it, as they would in production.
    """
    if seconds <= 0:
        return
    os.sync()
    time.sleep(seconds)


class BenchServer:
    name: str
    sink: SmtpSink
    smtp_port: int
    submission_port: int | None
    root_pid: int | None

    def start(self) -> int:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def remove(self) -> None:
        raise NotImplementedError

    def spooled(self) -> int | None:
        """Messages accepted and still queued, when the server's queue can be counted cheaply."""
        return None

    def process_roots(self) -> list[int]:
        """The roots of every process tree whose CPU is the server's (a milter is a tree of its own)."""
        return [self.root_pid] if self.root_pid is not None else []


class PostfixServer(BenchServer):
    name = "postfix"

    def __init__(self, root: Path, smtp_port: int, submission_port: int | None, sink: SmtpSink,
                 tls_files: tuple[Path, Path] | None, sasl_accounts: list[SaslAccount],
                 process_limit: int = 100, submission_milter: str | None = None) -> None:
        self.sink = sink
        self.smtp_port = smtp_port
        self.submission_port = submission_port
        self.root_pid = None
        self.instance = PostfixInstance(root, smtp_port=smtp_port, relay_port=sink.port,
                                        submission_port=submission_port, tls_files=tls_files,
                                        sasl_accounts=sasl_accounts, process_limit=process_limit,
                                        submission_milter=submission_milter)

    def start(self) -> int:
        self.instance.write_configuration()
        self.root_pid = self.instance.start()
        return self.root_pid

    def stop(self) -> None:
        self.instance.stop()
        self.root_pid = None

    def remove(self) -> None:
        self.instance.remove()


class PortcullisServer(BenchServer):
    name = "portcullis"

    def __init__(self, binary: Path, root: Path, ports: PortcullisPorts, template: Path, sink: SmtpSink,
                 abuse_accounting: bool = True, name: str | None = None) -> None:
        self.sink = sink
        self.smtp_port = ports.smtp
        self.submission_port = ports.submission
        self.root_pid = None
        self.instance = PortcullisInstance(binary, root, ports, template, abuse_accounting=abuse_accounting)
        if not abuse_accounting:
            self.name = "portcullis-no-abuse-accounting"
        if name is not None:
            self.name = name

    def start(self) -> int:
        self.root_pid = self.instance.start()
        return self.root_pid

    def stop(self) -> None:
        self.instance.stop()
        self.root_pid = None

    def remove(self) -> None:
        self.instance.remove()

    def spooled(self) -> int | None:
        return self.instance.spooled_messages()
