"""Reading CPU time and memory of server processes from /proc.

Why /proc and not getrusage: the servers are not our children (Postfix's master daemonises),
and we need figures per run while they keep running.

CPU: utime+stime of every live process of the server, plus cutime+cstime of the root process
(Postfix's master reaps its daemons, so the CPU of an smtpd that exited during the run is in
the master's cutime). The difference between two readings is exact however processes come and
go, as long as the root process itself stays up.

Memory: VmHWM is the peak resident set of one process. For a multi-process server the peak of
the whole is estimated by sampling: at each sample, the sum of VmHWM over the live processes;
the maximum over the samples is reported. Pss (proportional set size, /proc/PID/smaps_rollup)
is sampled the same way, because summing RSS counts the shared libraries once per process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _read(path: str) -> str | None:
    try:
        with open(path, "r", encoding="ascii", errors="replace") as handle:
            return handle.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (which may contain spaces)."""
    text = _read(f"/proc/{pid}/stat")
    if text is None:
        return None
    closing = text.rfind(")")
    # Field 3 (state) is index 0 here; utime is field 14, so index 11.
    return text[closing + 2:].split()


def children_of(root: int) -> list[int]:
    """Direct children of `root` (Postfix daemons are all children of master)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = stat_fields(int(entry))
        if fields is not None and len(fields) > 1 and fields[1] == str(root):
            found.append(int(entry))
    return found


def process_tree(root: int) -> list[int]:
    """`root` and its direct children, if `root` is alive."""
    if not os.path.exists(f"/proc/{root}"):
        return []
    return [root, *children_of(root)]


def cpu_ticks(root: int) -> int:
    """utime+stime of root and its live children, plus root's cutime+cstime (reaped children)."""
    total = 0
    for pid in process_tree(root):
        fields = stat_fields(pid)
        if fields is None or len(fields) < 15:
            continue
        total += int(fields[11]) + int(fields[12])
        if pid == root:
            total += int(fields[13]) + int(fields[14])
    return total


def cpu_seconds(root: int) -> float:
    return cpu_ticks(root) / CLOCK_TICKS


def status_kib(pid: int, key: str) -> int:
    """A `Vm...:` line of /proc/PID/status in KiB (0 for a zombie or a vanished process)."""
    text = _read(f"/proc/{pid}/status")
    if text is None:
        return 0
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def pss_kib(pid: int) -> int:
    text = _read(f"/proc/{pid}/smaps_rollup")
    if text is None:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


@dataclass
class MemorySample:
    processes: int
    hwm_kib: int
    rss_kib: int
    pss_kib: int


@dataclass
class MemoryPeaks:
    """Maxima over the samples of a run."""
    hwm_kib: int = 0
    rss_kib: int = 0
    pss_kib: int = 0
    processes: int = 0
    samples: int = 0


def sample_memory(root: int, with_pss: bool = True) -> MemorySample:
    pids = process_tree(root)
    return MemorySample(
        processes=len(pids),
        hwm_kib=sum(status_kib(pid, "VmHWM") for pid in pids),
        rss_kib=sum(status_kib(pid, "VmRSS") for pid in pids),
        pss_kib=sum(pss_kib(pid) for pid in pids) if with_pss else 0,
    )


@dataclass
class MemorySampler:
    """Samples a server's memory on a background thread until `stop()`.

    The interval is coarse (0.5 s) on purpose: the sampler shares the two cores with the
    servers and the load generator.
    """
    root: int
    interval: float = 0.5
    peaks: MemoryPeaks = field(default_factory=MemoryPeaks)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> "MemorySampler":
        self._take()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._thread.start()
        return self

    def _take(self) -> None:
        sample = sample_memory(self.root)
        peaks = self.peaks
        peaks.hwm_kib = max(peaks.hwm_kib, sample.hwm_kib)
        peaks.rss_kib = max(peaks.rss_kib, sample.rss_kib)
        peaks.pss_kib = max(peaks.pss_kib, sample.pss_kib)
        peaks.processes = max(peaks.processes, sample.processes)
        peaks.samples += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._take()

    def stop(self) -> MemoryPeaks:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._take()
        return self.peaks


def loadavg() -> tuple[float, float, float]:
    parts = (_read("/proc/loadavg") or "0 0 0").split()
    return float(parts[0]), float(parts[1]), float(parts[2])


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Polls until /proc/PID is gone (or a zombie); True if it went within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fields = stat_fields(pid)
        if fields is None or fields[0] == "Z":
            return True
        time.sleep(0.05)
    return False


def terminate(process: subprocess.Popen | None, timeout: float, stop_signal: int = signal.SIGTERM) -> None:
    """`stop_signal` to a process this benchmark started, then SIGKILL to its PID if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
