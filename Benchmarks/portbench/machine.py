"""What the numbers were measured on: CPU, memory, disk, kernel, versions, and the disk's sync rate."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from pathlib import Path


def _run(*command: str) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip()


def _meminfo_kib(key: str) -> int:
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def sync_rates(directory: Path, seconds: float = 2.0) -> dict:
    """Per second, on the file system of `directory`: creating an empty file; the two
    durability primitives, create+write 4 KiB+fsync+fsync(dir) (one file per message, Postfix's
    way) and append 4 KiB+fdatasync (a journal, the way a group commit pays)."""
    probe = directory / "sync-probe"
    probe.mkdir(parents=True, exist_ok=True)
    block = b"x" * 4096
    directory_fd = os.open(probe, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # Creation alone first: on an ext4 without a journal it is what varies most (see
        # servers.settle_filesystem), with the rest of the machine's file churn.
        count, deadline = 0, time.monotonic() + seconds / 2
        while time.monotonic() < deadline and count < 1_000_000:
            os.close(os.open(probe / f"c{count}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            count += 1
        create_only = count / (seconds / 2)
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline and count < 1_000_000:
            fd = os.open(probe / f"f{count}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, block)
            os.fsync(fd)
            os.close(fd)
            os.fsync(directory_fd)
            count += 1
        creates = count / seconds
        fd = os.open(probe / "journal", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline and count < 1_000_000:
            os.write(fd, block)
            os.fdatasync(fd)
            count += 1
        os.close(fd)
        appends = count / seconds
    finally:
        os.close(directory_fd)
        shutil.rmtree(probe, ignore_errors=True)
    return {"create_per_s": round(create_only), "create_fsync_per_s": round(creates),
            "append_fdatasync_per_s": round(appends)}


def filesystem_facts(path: Path) -> dict:
    """The file system that holds `path`: type, device, mount options, and for ext4 whether it
    has a journal and its data mode.

    The journal is read from the superblock (`dumpe2fs -h`: has_journal) where the device can be
    opened; in a VM or container that forbids it, from the kernel: every mounted ext4 with a
    journal has a jbd2 entry (/proc/fs/jbd2/DEVICE-*), and /proc/fs/ext4/DEVICE/options names
    its data= mode."""
    source, fstype, options = (_run("findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-T", str(path)).split() + ["", "", ""])[:3]
    facts: dict = {"source": source, "type": fstype, "mount_options": options, "journal": None,
                   "data_mode": None, "journal_evidence": ""}
    if fstype != "ext4":
        return facts
    features = ""
    for line in _run("dumpe2fs", "-h", source).splitlines():
        if line.startswith("Filesystem features:"):
            features = line.split(":", 1)[1]
    device = Path(os.path.realpath(source)).name
    if features:
        facts["journal"] = "has_journal" in features.split()
        facts["journal_evidence"] = "dumpe2fs -h: " + ("has_journal" if facts["journal"] else "no has_journal feature")
    else:
        jbd2 = sorted(p.name for p in Path("/proc/fs/jbd2").glob(f"{device}-*"))
        facts["journal"] = bool(jbd2)
        facts["journal_evidence"] = (f"/proc/fs/jbd2/{jbd2[0]}" if jbd2 else
                                     f"no /proc/fs/jbd2/{device}-* (the superblock could not be read)")
    try:
        ext4_options = Path(f"/proc/fs/ext4/{device}/options").read_text().split()
    except OSError:
        ext4_options = []
    modes = [o.split("=", 1)[1] for o in ext4_options if o.startswith("data=")]
    facts["data_mode"] = modes[0] if modes else None
    return facts


def filesystem_line(facts: dict) -> str:
    """"ext4 on /dev/vda, no journal (evidence); mount options …"."""
    if facts.get("type") != "ext4":
        return f"{facts.get('type') or '?'} on {facts.get('source') or '?'}; mount options {facts.get('mount_options')}"
    journal = {True: "with a journal" + (f" (data={facts['data_mode']})" if facts.get("data_mode") else ""),
               False: "without a journal", None: "journal unknown"}[facts.get("journal")]
    return (f"ext4 on {facts['source']}, {journal} [{facts.get('journal_evidence')}]; "
            f"mount options {facts['mount_options']}")


def describe(work: Path, binary: Path) -> dict:
    model = ""
    for line in _run("lscpu").splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    mount = _run("findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-T", str(work))
    usage = shutil.disk_usage(work)
    swift = _run("swift", "--version").splitlines()
    return {
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(_meminfo_kib("MemTotal") / 1024 / 1024, 1),
        "disk": f"{mount} ({usage.total / 1e9:.0f} GB)",
        "filesystem": filesystem_facts(work),
        "kernel": platform.release(),
        "debian": Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "",
        "postfix": _run("dpkg-query", "-W", "-f", "${Version}", "postfix"),
        "swift": swift[0] if swift else "",
        "python": platform.python_version(),
        "portcullis_binary": str(binary),
        "portcullis_commit": _run("git", "-C", str(Path(__file__).resolve().parents[2]), "rev-parse", "--short", "HEAD"),
    }
