"""Section profile-100k: the profile section's perf and strace views at 100 KiB messages,
20 sessions and 1 session, for both servers (profiling.py has the method).

For each point and server, on a fresh instance each and after the same settling as every
other step: `perf record -g` (DWARF call graphs) on the server's processes while smtp-source
sends PERF_MESSAGES (or --messages, if fewer), then `strace -c -f` over STRACE_MESSAGES. The
perf reports are saved as files (perf-SERVER-20x100k-self.txt, …); summary.md lists each one's
top symbols by self time and a table of system calls per message.
"""

from __future__ import annotations

from pathlib import Path

from . import profiling, report
from .relay import Point
from .servers import settle_filesystem

POINTS = (Point(20, 102400), Point(1, 102400))
PERF_MESSAGES = 5000
STRACE_MESSAGES = 1000
TOP = 8


def _tag(point: Point) -> str:
    return f"-{point.sessions}x{point.size // 1024}k"


def run(servers, messages: int, settle: float, out: Path, work: Path, log) -> tuple[dict, str]:
    perf_messages = min(messages, PERF_MESSAGES)
    strace_messages = min(messages, STRACE_MESSAGES)
    record: dict = {"perf": profiling.perf_available(), "points": []}
    text = "\n## Profiles at 100 KiB (20 sessions and 1 session)\n\n"
    if not record["perf"]:
        text += "perf is not available: syscall counts only.\n\n"
    for point in POINTS:
        tag = _tag(point)
        log(f"profile-100k: {point.label}: perf over {perf_messages} messages, strace over {strace_messages}")
        entry: dict = {"point": point.label, "perf": [], "strace": []}
        for server in servers:
            if record["perf"]:
                settle_filesystem(settle)
                try:
                    entry["perf"].append(profiling.profile_server(server, point, perf_messages, out, work, tag=tag))
                except Exception as error:   # one failed step is reported, the rest still runs
                    entry["perf"].append({"server": server.name, "error": str(error)})
            settle_filesystem(settle)
            try:
                entry["strace"].append(profiling.syscall_counts(server, point, strace_messages, out, tag=tag))
            except Exception as error:
                entry["strace"].append({"server": server.name, "error": str(error)})
        counts = {e["server"]: profiling.parse_strace_counts(Path(e["report"]))
                  for e in entry["strace"] if "report" in e and Path(e["report"]).exists()}
        entry["syscalls"] = counts
        record["points"].append(entry)

        text += f"### {point.sessions} session{'s' if point.sessions > 1 else ''} × {point.size // 1024} KiB\n\n"
        if counts:
            text += (f"System calls per message (strace -c -f over {strace_messages} messages; Postfix's include "
                     "relaying them to the sink):\n\n" + report.syscall_table(counts, strace_messages) + "\n")
        for failed in [e for e in entry["strace"] + entry["perf"] if e.get("error")]:
            text += f"- {failed['server']}: {failed['error']}\n"
        for result in entry["perf"]:
            if "reports" not in result:
                continue
            self_report = Path(result["reports"]["self"])
            text += (f"perf, {result['server']} ({perf_messages} messages at {result['rate']:.0f}/s under perf), "
                     f"top symbols by self time ({self_report.name}):\n\n"
                     + "".join(f"    {line}\n" for line in profiling.top_symbols(self_report, TOP)) + "\n")
    text += ("perf and strace reports: "
             + ", ".join(sorted(p.name for p in out.glob("*.txt") if any(_tag(pt) in p.name for pt in POINTS)))
             + "\n")
    return record, text
