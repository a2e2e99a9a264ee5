"""The relay point 20 sessions × 4 KiB with both servers' queues on an ext4 *with* a journal.

The benchmark's own file system (the work directory under /var/tmp) is, on the machine of the
recorded runs, an ext4 without a journal (machine.filesystem_facts says which, at the start of
every run). Without a journal an fsync writes the file's data and inode and flushes the disk,
with no journal commit; creating an inode right after deletions is slower
(servers.settle_filesystem). With the default journal (data=ordered) every fsync or fdatasync
that changes metadata commits a jbd2 transaction instead. The two servers use the disk
differently (Postfix: a queue file per message, created, fsync'd, renamed and deleted;
Portcullis: appends to a group-committed journal file, fdatasync'd), so the file system may
move them differently: this section measures it rather than assuming it.

The journaled file system: a file under /var/tmp, zero-filled (so that no block of it is
allocated on the host file system during a run), attached to a loop device with direct I/O (the
loop device does not keep a second copy in the page cache, and a flush on it is an fsync of the
file on the host file system, i.e. a disk flush), `mkfs.ext4` with its defaults (journal,
data=ordered) and the inode tables and journal written at once (lazy_itable_init=0,
lazy_journal_init=0: no background initialisation during the runs), mounted with the default
options. Removed afterwards in every case (unmount, detach, delete).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import machine

IMAGE_BYTES = 4 << 30


def _run(*command: str, timeout: float = 300) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout.strip()


@contextlib.contextmanager
def journaled_ext4(directory: Path = Path("/var/tmp"), size: int = IMAGE_BYTES, log=print):
    """Yields the mount point of a fresh journaled ext4 on a loop device; always cleans up."""
    image = Path(tempfile.mkstemp(prefix="portcullis-bench-journal.", suffix=".img", dir=directory)[1])
    mount_point = Path(tempfile.mkdtemp(prefix="portcullis-bench-journal.", dir=directory))
    device = None
    mounted = False
    try:
        started = time.monotonic()
        chunk = bytes(16 << 20)
        with open(image, "wb") as handle:
            for _ in range(size // len(chunk)):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        device = _run("losetup", "--find", "--show", "--direct-io=on", str(image))
        _run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", device)
        _run("mount", device, str(mount_point))
        mounted = True
        mount_point.chmod(0o755)   # Postfix daemons (user postfix) traverse into their queue below it
        log(f"  journaled ext4: {size >> 30} GiB on {device} at {mount_point} "
            f"(made in {time.monotonic() - started:.0f} s)")
        yield mount_point
    finally:
        if mounted:
            for attempt in range(10):
                result = subprocess.run(["umount", str(mount_point)], capture_output=True, text=True, timeout=120)
                if result.returncode == 0:
                    break
                time.sleep(1 + attempt)
            else:
                log(f"  journaled ext4: could not unmount {mount_point}: {result.stderr.strip()}")
        if device is not None:
            subprocess.run(["losetup", "-d", device], capture_output=True, timeout=60)
        image.unlink(missing_ok=True)
        if not os.path.ismount(mount_point):   # never delete into a file system still mounted
            shutil.rmtree(mount_point, ignore_errors=True)


def table(rows: list[tuple[str, dict, dict]]) -> str:
    """rows: (file system label, {server name: Summary}, sync rates)."""
    lines = ["| file system | create+write+fsync+dir-fsync/s | append+fdatasync/s | accepted/s Postfix | Portcullis "
             "| ratio | e2e/s Postfix | Portcullis | ratio | CPU s/1k Postfix | Portcullis |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def num(value, fmt="{:.0f}"):
        return "n/a" if value is None else fmt.format(value)

    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "n/a"

    for label, summaries, sync in rows:
        pf, pc = summaries.get("postfix"), summaries.get("portcullis")
        pfa = pf.accept_rate if pf and pf.runs else None
        pca = pc.accept_rate if pc and pc.runs else None
        pfe = pf.e2e_rate if pf and pf.runs else None
        pce = pc.e2e_rate if pc and pc.runs else None
        lines.append(f"| {label} | {sync.get('create_fsync_per_s', '?')} | {sync.get('append_fdatasync_per_s', '?')} | "
                     f"{num(pfa)} | {num(pca)} | {ratio(pca, pfa)} | {num(pfe)} | {num(pce)} | {ratio(pce, pfe)} | "
                     f"{num(pf.cpu_per_1000 if pf and pf.runs else None, '{:.2f}')} | "
                     f"{num(pc.cpu_per_1000 if pc and pc.runs else None, '{:.2f}')} |")
    return "\n".join(lines) + "\n"


def filesystem_label(path: Path) -> str:
    return machine.filesystem_line(machine.filesystem_facts(path))


def run_section(make_servers, main_servers, work: Path, relay_summaries, messages: int, runs: int,
                settle: float, log) -> tuple[dict, str]:
    """20 × 4 KiB on a fresh journaled ext4, next to the same point on the work directory's file
    system (the relay section's medians when it ran that point, else measured here first).

    make_servers(root): the two servers with their directories under `root`."""
    from dataclasses import asdict
    from .relay import Point, RelayBench

    point = Point(20, 4096)
    record: dict = {}
    main_rows = [s for s in (relay_summaries or []) if s.point == point]
    if main_rows:
        source = "the relay section's medians"
    else:
        log(f"journal: {point.label} on the work directory's file system first ({runs} runs)")
        main_rows = RelayBench(main_servers, messages, runs, settle=settle, log=log).run([point])
        source = "measured in this section"
    main_sync = machine.sync_rates(work)
    record["main"] = {"filesystem": machine.filesystem_facts(work), "source": source, "sync": main_sync,
                      "summaries": [dict(asdict(s), point=asdict(s.point)) for s in main_rows]}
    with journaled_ext4(log=log) as mount_point:
        facts = machine.filesystem_facts(mount_point)
        sync = machine.sync_rates(mount_point)
        log(f"journal: {machine.filesystem_line(facts)}; {sync}")
        log(f"journal: {point.label} with both servers' queues on it ({runs} runs x {messages} messages)")
        rows = RelayBench(make_servers(mount_point), messages, runs, settle=settle, log=log).run([point])
    record["journaled"] = {"filesystem": facts, "sync": sync, "image_bytes": IMAGE_BYTES,
                           "summaries": [dict(asdict(s), point=asdict(s.point)) for s in rows]}
    text = (f"\n## File system: 20 sessions × 4 KiB without and with an ext4 journal ({messages} messages, "
            f"medians of {runs})\n\n"
            f"- work directory: {machine.filesystem_line(record['main']['filesystem'])} ({source})\n"
            f"- journaled: {machine.filesystem_line(facts)}; a {IMAGE_BYTES >> 30} GiB zero-filled file under "
            "/var/tmp on a loop device with direct I/O, made for this section and removed after it "
            "(portbench/journal.py)\n\n"
            + table([("work directory (" + ("journal" if record["main"]["filesystem"].get("journal") else "no journal")
                      + ")", {s.server: s for s in main_rows}, main_sync),
                     ("loop ext4, journal, data=" + str(facts.get("data_mode")), {s.server: s for s in rows}, sync)]))
    return record, text
