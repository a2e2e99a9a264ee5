"""Where the time goes at 20 sessions: perf (cpu-clock sampling) and syscall counts.

Hardware counters are not available in this VM (`perf stat -e instructions true` prints
"<not supported>"), so perf samples the software `cpu-clock` event; that is enough to see which
functions burn the CPU. Three views:
- `perf record -g -p PID` on the server, port 25 (4 KiB) and submission: symbols by self time,
  and inclusive (children) time for the call-graph roots that matter, Swift names demangled;
- `perf record -a` while the same load runs against each server: CPU by process name, i.e.
  what the server costs next to smtp-source, smtp-sink and the kernel;
- `strace -c -f -p PID` on a shorter run: how many fsync/fdatasync/rename/write calls a
  message costs (strace slows the server, so its run is not timed).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

from . import procfs
from .relay import Point, smtp_source
from .servers import BenchServer


def perf_available() -> bool:
    if shutil.which("perf") is None:
        return False
    probe = subprocess.run(["perf", "stat", "-e", "cpu-clock", "true"], capture_output=True, text=True, timeout=30)
    return probe.returncode == 0


def _demangle(text: str) -> str:
    swift = shutil.which("swift-demangle") or shutil.which("swift")
    if swift is None:
        return text
    command = [swift, "--simplified"] if swift.endswith("swift-demangle") else [swift, "demangle", "--simplified"]
    result = subprocess.run(command, input=text, capture_output=True, text=True, timeout=120)
    return result.stdout if result.returncode == 0 else text


def _stop(process: subprocess.Popen, timeout: float = 60) -> None:
    """perf and strace write their results on SIGINT."""
    procfs.terminate(process, timeout, signal.SIGINT)


def _warm(server: BenchServer, point: Point) -> None:
    _, error = smtp_source(server.smtp_port, point.sessions, 200, point.size, timeout=300)
    if error:
        raise RuntimeError(f"{server.name} warm-up failed: {error}")


def profile_server(server: BenchServer, point: Point, messages: int, out: Path, work: Path,
                   call_graph: str = "dwarf,16384", frequency: int = 199, tag: str = "") -> dict:
    """perf record on the server process tree while smtp-source sends `messages`.

    DWARF unwinding by default: glibc's syscall wrappers have no frame pointers, so with `fp`
    the kernel time (open, rename, write) could not be traced back to the Swift caller.
    `tag` goes into the file names (e.g. "-20x100k"), so that several points can be kept.
    """
    out.mkdir(parents=True, exist_ok=True)
    name = server.name + tag
    data = work / f"perf-{name}.data"
    pid = server.start()
    try:
        _warm(server, point)
        recorder = _record(["-F", str(frequency), "--call-graph", call_graph], pid, data, work / f"perf-{name}.log")
        seconds, error = smtp_source(server.smtp_port, point.sessions, messages, point.size, timeout=600)
        _stop(recorder)
    finally:
        server.stop()
        server.remove()
    return {"server": server.name, "messages": messages, "seconds": seconds, "rate": messages / seconds if seconds else 0,
            "error": error, "reports": _perf_reports(data, out, name)}


def _record(options: list[str], root: int, data: Path, log: Path, attempts: int = 3) -> subprocess.Popen:
    """perf record -p on the process tree of `root`, started once perf is attached.

    perf exits at once when one of the PIDs it was given is gone by the time it attaches (a
    Postfix daemon that ended after the warm-up), so it is tried again with the tree as it is then."""
    for attempt in range(attempts):
        pids = ",".join(str(p) for p in _tree(root))
        recorder = subprocess.Popen(["perf", "record", "-e", "cpu-clock", *options, "-p", pids, "-o", str(data)],
                                    stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
        time.sleep(1.0)
        if recorder.poll() is None:
            return recorder
    tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-2:])
    raise RuntimeError(f"perf record did not stay attached to {root}'s processes ({attempts} tries): {tail}")


def _perf_reports(data: Path, out: Path, name: str) -> dict:
    reports = {}
    for view, args in {
        "self": ["--no-children", "--sort", "dso,sym", "-g", "none", "--percent-limit", "0.4"],
        "dso": ["--no-children", "--sort", "dso", "-g", "none"],
        "children": ["--children", "--sort", "sym", "-g", "none", "--percent-limit", "2"],
        "callers": ["--no-children", "--sort", "sym", "-g", "caller,0.5,callee,function,percent", "--percent-limit", "2"],
    }.items():
        result = subprocess.run(["perf", "report", "-i", str(data), "--stdio", *args], capture_output=True,
                                text=True, timeout=600)
        path = out / f"perf-{name}-{view}.txt"
        path.write_text(_demangle(result.stdout), encoding="utf-8")
        reports[view] = str(path)
    return reports


def profile_submission(server: BenchServer, run_load, spec, out: Path, work: Path, frequency: int = 199) -> dict:
    """perf record (DWARF call graphs) on the server while the submission load runs unpaced."""
    out.mkdir(parents=True, exist_ok=True)
    data = work / f"perf-submission-{server.name}.data"
    pid = server.start()
    try:
        recorder = _record(["-F", str(frequency), "--call-graph", "dwarf,16384"], pid, data,
                           work / f"perf-submission-{server.name}.log")
        result = run_load(spec)
        _stop(recorder)
    finally:
        server.stop()
        server.remove()
    return {"server": server.name, "rate": result["rate"], "errors": len(result["errors"]),
            "reports": _perf_reports(data, out, f"submission-{server.name}")}


def system_profile(server: BenchServer, point: Point, messages: int, out: Path, work: Path) -> dict:
    """perf record -a during a run: the CPU split between server, load generator, sink and kernel."""
    out.mkdir(parents=True, exist_ok=True)
    data = work / f"perf-system-{server.name}.data"
    server.start()
    try:
        _warm(server, point)
        recorder = subprocess.Popen(
            ["perf", "record", "-e", "cpu-clock", "-F", "497", "-a", "-o", str(data)],
            stdout=subprocess.DEVNULL, stderr=open(work / f"perf-system-{server.name}.log", "wb"))
        time.sleep(1.0)
        seconds, error = smtp_source(server.smtp_port, point.sessions, messages, point.size, timeout=600)
        _stop(recorder)
    finally:
        server.stop()
        server.remove()
    result = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--sort", "comm", "--percent-limit", "0.5"],
                            capture_output=True, text=True, timeout=600)
    path = out / f"perf-system-{server.name}-comm.txt"
    path.write_text(result.stdout, encoding="utf-8")
    return {"server": server.name, "messages": messages, "seconds": seconds, "error": error, "report": str(path)}


def syscall_counts(server: BenchServer, point: Point, messages: int, out: Path, tag: str = "") -> dict:
    """strace -c -f on the server tree during a short run; counts per message are what matter."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"strace-{server.name}{tag}.txt"
    if shutil.which("strace") is None:
        return {"server": server.name, "error": "strace is not installed"}
    pid = server.start()
    try:
        _warm(server, point)
        tracer = subprocess.Popen(["strace", "-c", "-f", "-o", str(path), *sum((["-p", str(p)] for p in _tree(pid)), [])],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        seconds, error = smtp_source(server.smtp_port, point.sessions, messages, point.size, timeout=600)
        if server.sink is not None:
            server.sink.wait_for(server.sink.messages + messages, timeout=60, idle_timeout=10)
        _stop(tracer)
    finally:
        server.stop()
        server.remove()
    return {"server": server.name, "messages": messages, "error": error, "report": str(path)}


def submission_syscall_counts(server: BenchServer, run_load, spec, out: Path) -> dict:
    """strace -c -f on each of the server's process trees (Postfix's master, a milter) while the
    submission load runs, until the sink has what was accepted (so relaying is counted too).

    One strace, and one report, per tree: `strace-submission-<server>-<comm>.txt`."""
    out.mkdir(parents=True, exist_ok=True)
    if shutil.which("strace") is None:
        return {"server": server.name, "error": "strace is not installed"}
    server.start()
    reports: dict[str, str] = {}
    tracers = []
    try:
        for root in server.process_roots():
            comm = Path(f"/proc/{root}/comm").read_text().strip()
            path = out / f"strace-submission-{server.name}-{comm}.txt"
            reports[comm] = str(path)
            tracers.append(subprocess.Popen(
                ["strace", "-c", "-f", "-o", str(path), *sum((["-p", str(p)] for p in _tree(root)), [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1.0)
        before = server.sink.messages
        result = run_load(spec)
        server.sink.wait_for(before + result["messages"], timeout=300, idle_timeout=30)
        for tracer in tracers:
            _stop(tracer)
    finally:
        for tracer in tracers:
            _stop(tracer)
        server.stop()
        server.remove()
    return {"server": server.name, "messages": result["messages"], "errors": len(result["errors"]),
            "rate": result["rate"], "reports": reports}


def _tree(pid: int) -> list[int]:
    from .procfs import process_tree
    return process_tree(pid)


def parse_strace_counts(path: Path) -> dict[str, int]:
    """`strace -c` summary lines: "% time  seconds  usecs/call  calls  [errors]  syscall"."""
    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0].replace(".", "", 1).isdigit() and fields[-1] != "total":
            try:
                counts[fields[-1]] = int(fields[3])
            except ValueError:
                continue
    return counts



def top_symbols(report: Path, count: int = 8) -> list[str]:
    """The first `count` entries of a `perf report --no-children --sort dso,sym` listing:
    "12.34%  dso  [.] symbol", the symbol shortened to 100 characters."""
    entries = []
    for line in report.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split(None, 1)
        if len(fields) == 2 and fields[0].endswith("%") and fields[0][:-1].replace(".", "", 1).isdigit():
            text = " ".join(line.split())
            entries.append(text if len(text) <= 100 else text[:99] + "…")
            if len(entries) == count:
                break
    return entries
