"""Idle sessions: N connections to the port-25 service that say EHLO and then wait.

The memory a server spends on a connection that does nothing is what decides how many a box
can hold at peak (and how cheaply it survives a slow-loris crowd). Procedure:
1. a fresh server, one complete session to warm it up, then its VmRSS ("before");
2. N connections, spread over many loopback source addresses (127.0.1.x ...) so the
   per-client limit is not what is measured, each reading the banner, sending EHLO and
   reading the whole reply; at most `parallel_connects` handshakes in flight at a time;
3. a short settle, then VmRSS and VmHWM ("after") and the CPU time spent;
4. every connection closed; VmRSS again (memory the server gives back).
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import asdict, dataclass

from . import procfs

CONNECTIONS_PER_SOURCE = 40


@dataclass
class IdleResult:
    server: str
    connections: int
    established: int
    rss_before_kib: int
    rss_after_kib: int
    hwm_after_kib: int
    pss_before_kib: int
    pss_after_kib: int
    rss_after_close_kib: int
    processes_after: int
    open_seconds: float
    cpu_seconds: float
    errors: list[str]

    @property
    def extra_rss_kib(self) -> int:
        return self.rss_after_kib - self.rss_before_kib

    @property
    def per_connection_bytes(self) -> float:
        return self.extra_rss_kib * 1024 / self.established if self.established else float("nan")

    def to_json(self) -> dict:
        record = asdict(self)
        record.update(extra_rss_kib=self.extra_rss_kib, per_connection_bytes=self.per_connection_bytes)
        record["errors"] = self.errors[:20]
        return record


def raise_file_limit(wanted: int) -> int:
    """Raises RLIMIT_NOFILE for this process (and the servers it starts afterwards)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def _open_one(port: int, source: str, semaphore: asyncio.Semaphore, keep: list, errors: list[str]) -> None:
    async with semaphore:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), 30)
            line = await asyncio.wait_for(reader.readline(), 30)
            while line[3:4] == b"-":
                line = await asyncio.wait_for(reader.readline(), 30)
            if not line.startswith(b"220"):
                raise ConnectionError(f"banner {line!r}")
            writer.write(b"EHLO idle.alato.example\r\n")
            line = await asyncio.wait_for(reader.readline(), 30)
            while line[3:4] == b"-":
                line = await asyncio.wait_for(reader.readline(), 30)
            if not line.startswith(b"250"):
                raise ConnectionError(f"EHLO reply {line!r}")
            keep.append(writer)
        except (OSError, asyncio.TimeoutError, ConnectionError) as error:
            errors.append(f"{source}: {type(error).__name__}: {error}")


def source_address(index: int) -> str:
    """127.0.1.1, 127.0.1.2, ... 127.0.1.250, 127.0.2.1, ...: CONNECTIONS_PER_SOURCE each."""
    group = index // CONNECTIONS_PER_SOURCE
    return f"127.0.{1 + group // 250}.{1 + group % 250}"


async def _hold(port: int, count: int, pid: int, parallel_connects: int, settle: float) -> tuple:
    semaphore = asyncio.Semaphore(parallel_connects)
    keep: list = []
    errors: list[str] = []
    started = time.monotonic()
    await asyncio.gather(*(_open_one(port, source_address(i), semaphore, keep, errors) for i in range(count)))
    open_seconds = time.monotonic() - started
    await asyncio.sleep(settle)
    after = procfs.sample_memory(pid)
    cpu_after = procfs.cpu_seconds(pid)
    for writer in keep:
        writer.close()
    await asyncio.sleep(0)
    return len(keep), errors, after, cpu_after, open_seconds


def measure_idle(server, count: int, parallel_connects: int = 200, settle: float = 2.0) -> IdleResult:
    """Starts `server` fresh, holds `count` idle sessions, and stops it again."""
    raise_file_limit(count + 1024)
    pid = server.start()
    try:
        # One ordinary session first, so lazily built state is not charged to the idle ones.
        asyncio.run(_hold(server.smtp_port, 1, pid, 1, 0.2))
        time.sleep(0.5)
        before = procfs.sample_memory(pid)
        cpu_before = procfs.cpu_seconds(pid)
        established, errors, after, cpu_after, open_seconds = asyncio.run(
            _hold(server.smtp_port, count, pid, parallel_connects, settle))
        time.sleep(2.0)
        after_close = procfs.sample_memory(pid)
        return IdleResult(
            server=server.name, connections=count, established=established,
            rss_before_kib=before.rss_kib, rss_after_kib=after.rss_kib, hwm_after_kib=after.hwm_kib,
            pss_before_kib=before.pss_kib, pss_after_kib=after.pss_kib,
            rss_after_close_kib=after_close.rss_kib, processes_after=after.processes,
            open_seconds=open_seconds, cpu_seconds=cpu_after - cpu_before, errors=errors)
    finally:
        server.stop()
        server.remove()
