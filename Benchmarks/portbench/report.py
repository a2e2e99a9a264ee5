"""Markdown tables of a run (printed, and saved next to the JSON record)."""

from __future__ import annotations

from .machine import filesystem_line
from .relay import CEILING, CEILING_COUNTING, Summary


def _ratio(ours: float | None, theirs: float | None, digits: int = 2) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "n/a"
    return f"{ours / theirs:.{digits}f}"


def _num(value: float | None, fmt: str = "{:.0f}") -> str:
    return "n/a" if value is None else fmt.format(value)


def _fraction(value: float | None, ceiling: Summary | None) -> str:
    if value is None or ceiling is None or not ceiling.runs or not ceiling.accept_rate:
        return "n/a"
    return f"{value / ceiling.accept_rate:.2f}"


def relay_tables(summaries: list[Summary]) -> str:
    by_point: dict = {}
    for summary in summaries:
        by_point.setdefault((summary.point.sessions, summary.point.size), {})[summary.server] = summary
    has_ceiling = any(CEILING in row for row in by_point.values())
    throughput = [
        "| sessions × size | accepted/s Postfix | accepted/s Portcullis | ratio | e2e/s Postfix | e2e/s Portcullis | ratio "
        "| duplicates Postfix | Portcullis |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ceiling_lines = [
        "| sessions × size | ceiling msgs/s (sink dumping) | counting sink | sink CPU s/1k dumping | counting "
        "| Postfix accepted | Postfix e2e | Portcullis accepted | Portcullis e2e |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    resources = [
        "| sessions × size | peak PSS MiB Postfix | Portcullis | ratio | Σ VmHWM MiB Postfix | Portcullis | ratio "
        "| processes Postfix | Portcullis | CPU s/1k msgs Postfix | Portcullis | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for (sessions, size), row in sorted(by_point.items()):
        label = f"{sessions} × {size // 1024} KiB"
        pf, pc = row.get("postfix"), row.get("portcullis")
        ceiling, counting = row.get(CEILING), row.get(CEILING_COUNTING)
        for summary in (pf, pc, ceiling, counting):
            if summary is not None and summary.failures:
                notes.append(f"{label} {summary.server}: {len(summary.failures)} failed run(s): {summary.failures[0]}")
        if pf is None or pc is None:
            continue
        ok = pf.runs > 0 and pc.runs > 0
        throughput.append(
            f"| {label} | {_num(pf.accept_rate if pf.runs else None)} | {_num(pc.accept_rate if pc.runs else None)} | "
            f"{_ratio(pc.accept_rate, pf.accept_rate) if ok else 'n/a'} | {_num(pf.e2e_rate)} | {_num(pc.e2e_rate)} | "
            f"{_ratio(pc.e2e_rate, pf.e2e_rate)} | {pf.duplicates if pf.e2e_rate else 'n/a'} | "
            f"{pc.duplicates if pc.e2e_rate else 'n/a'} |")
        if has_ceiling:
            ceiling_lines.append(
                f"| {label} | {_num(ceiling.accept_rate if ceiling and ceiling.runs else None)} | "
                f"{_num(counting.accept_rate if counting and counting.runs else None)} | "
                f"{_num(ceiling.cpu_per_1000 if ceiling and ceiling.runs else None, '{:.2f}')} | "
                f"{_num(counting.cpu_per_1000 if counting and counting.runs else None, '{:.2f}')} | "
                f"{_fraction(pf.accept_rate if pf.runs else None, ceiling)} | {_fraction(pf.e2e_rate, ceiling)} | "
                f"{_fraction(pc.accept_rate if pc.runs else None, ceiling)} | {_fraction(pc.e2e_rate, ceiling)} |")
        cpu_mark = "" if pc.cpu_includes_delivery else "¹"
        resources.append(
            f"| {label} | {pf.peak_pss_kib / 1024:.1f} | {pc.peak_pss_kib / 1024:.1f} | "
            f"{_ratio(pc.peak_pss_kib, pf.peak_pss_kib) if ok else 'n/a'} | "
            f"{pf.peak_hwm_kib / 1024:.1f} | {pc.peak_hwm_kib / 1024:.1f} | "
            f"{_ratio(pc.peak_hwm_kib, pf.peak_hwm_kib) if ok else 'n/a'} | "
            f"{pf.peak_processes} | {pc.peak_processes} | "
            f"{pf.cpu_per_1000:.2f} | {pc.cpu_per_1000:.2f}{cpu_mark} | "
            f"{_ratio(pc.cpu_per_1000, pf.cpu_per_1000) if ok else 'n/a'} |")
        if not pc.cpu_includes_delivery:
            notes.append("¹ Portcullis does not deliver yet: its CPU covers accepting only, Postfix's includes relaying.")
    text = ("Rates in messages/s. End to end (e2e) runs until the sink holds every message, each counted "
            "once however often it was delivered; duplicates are the extra deliveries, over all runs.\n\n"
            + "\n".join(throughput) + "\n")
    if has_ceiling:
        text += ("\nThe ceiling: the same smtp-source command straight into smtp-sink, no server between "
                 "(medians of the same runs). \"sink dumping\" is the sink the servers deliver to (it writes "
                 "each message to a tmpfs file so distinct messages can be counted); the counting sink only "
                 "counts. The server columns are that server's rate as a fraction of the dumping sink's "
                 "ceiling (0.34 = 34 % of what smtp-source and smtp-sink alone reach).\n\n"
                 + "\n".join(ceiling_lines) + "\n")
    text += ("\nMemory: peak PSS is the peak over 0.5 s samples of Pss (/proc/PID/smaps_rollup) summed over "
             "the server's processes; shared pages are divided among the processes that map them, so for "
             "Postfix (master, smtpd, cleanup, qmgr, smtp, …) the sum is its honest total. Σ VmHWM adds each "
             "process's own peak RSS and counts every shared page once per process: it overstates a "
             "multi-process server and is shown only for comparison with RSS figures elsewhere. Processes: "
             "the most seen in one sample.\n\n" + "\n".join(resources) + "\n")
    if notes:
        text += "\n" + "\n".join(f"- {note}" for note in dict.fromkeys(notes)) + "\n"
    return text


def generator_lines(generators) -> str:
    """Which load generator produced the submission figures (paced runs use the first)."""
    if len(generators) == 1:
        return f"Load generator: {generators[0].description}.\n"
    return ("Load generators: " + "; ".join(g.description for g in generators)
            + f". Unpaced runs with each; paced runs with {generators[0].name}.\n")


def submission_table(results: list[dict]) -> str:
    lines = [
        "| server | generator | sessions × msgs | pacing | msgs/s | p50 ms | p99 ms | max ms | set-up s "
        "| server CPU s/1k | client CPU s | failed sessions |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        if "skipped" in result:
            lines.append(f"| {result['server']} | | | | skipped: {result['skipped']} | | | | | | | |")
            continue
        pacing = "unpaced" if not result["target_rate"] else f"{result['target_rate']:.0f}/s"
        lines.append(
            f"| {result['server']} | {result.get('generator', 'submission.py')} | "
            f"{result['sessions']} × {result['messages_per_session']} | {pacing} | "
            f"{result['rate']:.0f} | {result['p50_ms']:.1f} | {result['p99_ms']:.1f} | {result['max_ms']:.1f} | "
            f"{result['setup_seconds']:.2f} | {result.get('server_cpu_per_1000', float('nan')):.2f} | "
            f"{result['client_cpu_seconds']:.1f} | {len(result['errors'])} of {result['sessions']} |")
    return "\n".join(lines) + "\n"


def submission_runs_table(runs: list[dict]) -> str:
    lines = [
        "| server | generator | run | msgs/s | accepted / expected | failed sessions | first error |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for r in runs:
        first = r["errors"][0].replace("|", "\\|") if r["errors"] else ""
        lines.append(
            f"| {r['server']} | {r.get('generator', 'submission.py')} | {r.get('run', '')} | {r['rate']:.0f} | "
            f"{r['messages']} / {r['expected_messages']} | {r['failed_sessions']} of {r['sessions']} | {first} |")
    return "\n".join(lines) + "\n"


def idle_table(results: list[dict]) -> str:
    """PSS first: summed over Postfix's smtpd processes, RSS counts its shared libraries once each."""
    lines = [
        "| server | idle sessions | established | processes | extra PSS MiB | PSS per session KiB "
        "| extra Σ RSS MiB | Σ RSS per session KiB | Σ RSS before MiB | Σ RSS after MiB | Σ RSS after close MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['server']} | skipped: {r['skipped']} | | | | | | | | | |")
            continue
        lines.append(
            f"| {r['server']} | {r['connections']} | {r['established']} | {r['processes_after']} | "
            f"{(r['pss_after_kib'] - r['pss_before_kib']) / 1024:.1f} | "
            f"{(r['pss_after_kib'] - r['pss_before_kib']) / max(1, r['established']):.1f} | "
            f"{r['extra_rss_kib'] / 1024:.1f} | {r['per_connection_bytes'] / 1024:.1f} | "
            f"{r['rss_before_kib'] / 1024:.1f} | {r['rss_after_kib'] / 1024:.1f} | "
            f"{r['rss_after_close_kib'] / 1024:.1f} |")
    return ("PSS: Pss from /proc/PID/smaps_rollup summed over the server's processes (shared pages divided "
            "among the processes that map them). Σ RSS: VmRSS summed over the same processes, which counts "
            "each shared page once per process and so overstates a server with a process per session.\n\n"
            + "\n".join(lines) + "\n")


def machine_lines(machine: dict) -> str:
    sync = machine.get("sync", {})
    return "\n".join(line for line in [
        f"- date: {machine['date_utc']}; Portcullis commit {machine['portcullis_commit']}, release build",
        f"- CPU: {machine['nproc']} × {machine['cpu_model']}; memory {machine['memory_gib']} GiB",
        f"- disk: {machine['disk']}; {sync.get('create_per_s', '?')} file creations/s, "
        f"{sync.get('create_fsync_per_s', '?')} create+write+fsync+dir-fsync/s, "
        f"{sync.get('append_fdatasync_per_s', '?')} append+fdatasync/s (4 KiB)"
        + (f"; at the end {machine['sync_end'].get('create_per_s', '?')} creations/s" if machine.get("sync_end") else ""),
        f"- work directory's file system: {filesystem_line(machine['filesystem'])}" if machine.get("filesystem") else "",
        f"- kernel {machine['kernel']}, Debian {machine['debian']}, Postfix {machine['postfix']}, "
        f"{machine['swift']}, Python {machine['python']}",
        f"- load average: {machine.get('load_start', '?')} at start, {machine.get('load_end', '?')} at end",
    ] if line) + "\n"


SYSCALLS_OF_INTEREST = ("openat", "rename", "unlink", "fsync", "fdatasync", "syncfs", "write", "writev", "pwrite64",
                        "read", "pread64", "futex", "epoll_wait", "poll", "accept4", "close")


def syscall_table(per_server: dict[str, dict[str, int]], messages: int | dict[str, int]) -> str:
    """System calls per accepted message, from strace -c over `messages` messages (or each column's own count)."""
    names = [n for n in SYSCALLS_OF_INTEREST if any(n in counts for counts in per_server.values())]
    servers = list(per_server) if isinstance(messages, dict) else sorted(per_server)
    count = messages if isinstance(messages, dict) else {s: messages for s in servers}
    lines = ["| syscall | " + " | ".join(f"{s} per message" for s in servers) + " |",
             "|---|" + "---:|" * len(servers)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{per_server[s].get(name, 0) / max(1, count[s]):.2f}" for s in servers)
                     + " |")
    lines.append("| all | " + " | ".join(f"{sum(per_server[s].values()) / max(1, count[s]):.1f}" for s in servers) + " |")
    return "\n".join(lines) + "\n"
