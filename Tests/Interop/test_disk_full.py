"""A full disk: Portcullis refuses what it cannot store, loses nothing it acknowledged, and
accepts again by itself once space is freed.

The data directory is a tmpfs made for the test (we run as root), so "full" is real ENOSPC
from the kernel, not a simulation:

1. `[spool] min_free_space = 0`: a filler leaves too little room for the next message, whose
   journal write fails with ENOSPC: `452 4.3.1` at the end of DATA, nothing queued. Freed: the next one
   gets 250 (the journal went on after the failed record).
2. Restarted (recovery reads the journal with the failed record) with
   `min_free_space = 2 MiB`: filled below it, MAIL gets `452 4.3.1`; freed, 250 again.
3. Every 250'd message arrives in the Maildir, nothing else does, the server never exited.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

from interop_harness import HOSTNAME, INSIDE, PortcullisServer, TARO, free_port, unique_marker

TMPFS_SIZE = "16m"
MIN_FREE = 2 * 1024 * 1024
# The free-space reading is cached for 1 s in the server.
GAUGE_REFRESH = 1.3


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def fill(path: Path, leave: int) -> Path:
    """Writes a filler file so that about `leave` octets stay free."""
    filler = path / "filler"
    size = free_bytes(path) - leave
    assert size > 0, f"only {free_bytes(path)} octets free before filling"
    with open(filler, "wb") as out:
        chunk = b"\0" * (1 << 20)
        while size > 0:
            size -= out.write(chunk[: min(len(chunk), size)])
    return filler


def message(marker: str, body_size: int = 0) -> str:
    body = f"{marker}\r\n" + ("x" * 76 + "\r\n") * (body_size // 78)
    return (f"From: <{TARO.address}>\r\nTo: <{TARO.address}>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@example.net>\r\n\r\n{body}")


def transaction(port: int, text: str) -> tuple[int, str, str]:
    """One transaction on the port-25 service; returns (code, enhanced+text, stage)."""
    with smtplib.SMTP(INSIDE, port, timeout=30) as client:
        client.ehlo("client.example.net")
        code, reply = client.mail("sender@example.net")
        if code != 250:
            return code, reply.decode(), "MAIL"
        code, reply = client.rcpt(TARO.address)
        assert code == 250, reply
        code, reply = client.data(text.encode())
        return code, reply.decode(), "DATA"


def delivered_markers(maildir: Path) -> list[str]:
    found = []
    new = maildir / "new"
    if new.is_dir():
        for name in os.listdir(new):
            text = (new / name).read_text(errors="replace")
            found += [line.split()[-1] for line in text.splitlines() if line.startswith("Subject: ")]
    return sorted(found)


def wait_for_markers(maildir: Path, expected: list[str], timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        markers = delivered_markers(maildir)
        if markers == sorted(expected):
            return markers
        time.sleep(0.2)
    return delivered_markers(maildir)


@pytest.fixture
def tmpfs_server(portcullis_bin: Path):
    if shutil.which("mount") is None:
        pytest.fail("mount(8) is missing: apt-get install -y mount")
    server = PortcullisServer("disk-full", portcullis_bin)
    if server.root.exists():
        shutil.rmtree(server.root)
    server.data_dir.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(server.data_dir)],
                   check=True)
    try:
        yield server
    finally:
        server.stop()
        subprocess.run(["umount", str(server.data_dir)], check=False)


def configure(server: PortcullisServer, min_free_space: int) -> None:
    text = server.config_text((f"{INSIDE}/32",)).replace("max_message_size = 200000", "max_message_size = 4000000")
    text += f"\n[spool]\nmin_free_space = {min_free_space}\n"
    (server.data_dir / "portcullis.toml").write_text(text, encoding="utf-8")


def test_full_disk_refuses_then_recovers_and_loses_nothing(tmpfs_server: PortcullisServer) -> None:
    server = tmpfs_server
    server.cli("init", "--hostname", HOSTNAME)
    ports: set[int] = set()
    while len(ports) < 7:
        ports.add(free_port())
    (server.smtp_port, server.submission_port, server.submissions_port, server.web_port, server.dead_port,
     server.pop3_port, server.pop3s_port) = sorted(ports)
    server.cli("domain", "add", "alato.example")
    server.cli("user", "add", TARO.address, "--password-stdin", input=TARO.password + "\n")
    maildir = server.data_dir / "mailboxes" / "alato.example" / "taro" / "Maildir"
    accepted: list[str] = []

    # 1. No minimum: the commit itself meets the full disk.
    configure(server, 0)
    server.start()
    first = unique_marker("disk-first")
    code, reply, _ = transaction(server.smtp_port, message(first))
    assert code == 250, reply
    accepted.append(first)
    assert wait_for_markers(maildir, accepted) == sorted(accepted)

    filler = fill(server.data_dir, leave=32 * 1024)
    refused = unique_marker("disk-refused")
    code, reply, stage = transaction(server.smtp_port, message(refused, body_size=150_000))
    # RFC 5321 §4.2.3 and RFC 3463 §3.4 X.3.1: a full disk is "insufficient system storage".
    assert (code, stage) == (452, "DATA"), f"{code} {reply} at {stage}"
    assert reply.startswith("4.3.1"), reply
    assert server.running(), server.log_tail()

    filler.unlink()
    after = unique_marker("disk-after-free")
    code, reply, _ = transaction(server.smtp_port, message(after))
    assert code == 250, reply
    accepted.append(after)
    assert wait_for_markers(maildir, accepted) == sorted(accepted)
    assert server.stop() == 0, server.log_tail()

    # 2. With a minimum: MAIL is refused before anything is sent.
    configure(server, MIN_FREE)
    server.start()
    filler = fill(server.data_dir, leave=MIN_FREE // 2)
    time.sleep(GAUGE_REFRESH)
    code, reply, stage = transaction(server.smtp_port, message(unique_marker("disk-below-minimum")))
    assert (code, stage) == (452, "MAIL"), f"{code} {reply} at {stage}"
    assert reply.startswith("4.3.1"), reply
    assert server.running(), server.log_tail()

    filler.unlink()
    time.sleep(GAUGE_REFRESH)
    last = unique_marker("disk-accepted-again")
    code, reply, _ = transaction(server.smtp_port, message(last))
    assert code == 250, reply
    accepted.append(last)

    # 3. Exactly the acknowledged messages arrived; nothing is left waiting.
    assert wait_for_markers(maildir, accepted) == sorted(accepted)
    time.sleep(1)
    assert delivered_markers(maildir) == sorted(accepted)
    assert server.queue_ids() == []
    assert server.running(), server.log_tail()
