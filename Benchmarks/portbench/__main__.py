"""`python3 -m portbench`: the whole comparison in one run (see Benchmarks/compare-postfix.sh).

Sections (all by default, or pick with --only): relay, mix, journal, submission, dkim, idle, profile, profile-100k.
Results: a JSON record and summary.md under --out (default Benchmarks/results/<UTC stamp>/).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from . import dkim, journal, loadgen, machine, mix, procfs, profile_large, profiling, report
from .idle import measure_idle, raise_file_limit
from .portcullis import PortcullisInstance, PortcullisPorts
from .ports import free_ports
from .postfix import SaslAccount
from .relay import Point, RelayBench
from .servers import BenchServer, PortcullisServer, PostfixServer, settle_filesystem
from .sink import SmtpSink
from .submission import LoadSpec

REPO = Path(__file__).resolve().parents[2]
USER = "taro@alato.example"
PASSWORD = "bench-Kasumi-gaseki-7"
SECTIONS = ("relay", "mix", "journal", "submission", "dkim", "idle", "profile", "profile-100k")


def log(text: str) -> None:
    print(text, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="compare-postfix.sh", description="Portcullis vs Postfix on this machine.")
    parser.add_argument("--binary", type=Path, default=REPO / ".build-release" / "release" / "portcullis")
    parser.add_argument("--quick", action="store_true",
                        help="for iteration: 1,000 messages a point, one run, 1,000 idle sessions")
    parser.add_argument("--messages", type=int, help="messages per point and run (default 20,000)")
    parser.add_argument("--runs", type=int, help="runs per point; medians are reported (default 3)")
    parser.add_argument("--sessions", default="1,20,100", help="smtp-source session counts")
    parser.add_argument("--sizes", default="4096,102400", help="message payload sizes in bytes")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS))
    parser.add_argument("--idle", type=int, help="idle sessions against Portcullis (default 10,000)")
    parser.add_argument("--idle-postfix", type=int, help="idle sessions against Postfix, one smtpd each (default 1,000)")
    parser.add_argument("--submission-sessions", type=int, default=20)
    parser.add_argument("--submission-messages", type=int, help="messages per session (default 250)")
    parser.add_argument("--loadgen", choices=("auto", "swift", "python", "both"), default="auto",
                        help="submission load generator: portcullis-loadgen (Swift) when built, else submission.py "
                             "(auto); 'both' runs the unpaced points with each, to compare them")
    parser.add_argument("--loadgen-binary", type=Path,
                        help="the portcullis-loadgen executable (default: next to --binary)")
    parser.add_argument("--submission-threads", type=int, default=1,
                        help="portcullis-loadgen event-loop threads (the server needs the other core)")
    parser.add_argument("--submission-processes", type=int, default=2,
                        help="submission.py worker processes (one Python process saturates before the server)")
    parser.add_argument("--settle", type=float,
                        help="seconds of quiet (after sync) before each server start, so files deleted by the previous "
                             "run do not tax the next one on this journal-less ext4 (default 65; --quick 30)")
    parser.add_argument("--milter-socket", choices=("unix", "inet"), default="unix",
                        help="how Postfix reaches the OpenDKIM milter in the dkim section: a unix socket in the "
                             "work directory, or TCP on a loopback port")
    parser.add_argument("--workdir", type=Path, help="scratch directory (default: a new one under /var/tmp)")
    parser.add_argument("--keep-workdir", action="store_true")
    parser.add_argument("--out", type=Path, help="where results go (default Benchmarks/results/<stamp>)")
    args = parser.parse_args(argv)
    args.messages = args.messages or (1000 if args.quick else 20000)
    args.runs = args.runs or (1 if args.quick else 3)
    args.idle = args.idle or (1000 if args.quick else 10000)
    args.idle_postfix = args.idle_postfix if args.idle_postfix is not None else (200 if args.quick else 1000)
    args.submission_messages = args.submission_messages or (25 if args.quick else 250)
    args.settle = args.settle if args.settle is not None else (30.0 if args.quick else 65.0)
    args.loadgen_binary = args.loadgen_binary or args.binary.parent / loadgen.SWIFT
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(sorted(unknown))}")
    return args


def _e2e(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0f}"


def _terminate(signum, frame):  # SIGTERM: unwind through the finally blocks that stop servers
    raise SystemExit(128 + signum)


def run_submission(args, servers: list[BenchServer], sasl_problem: str | None,
                   generators: list[loadgen.Generator]) -> list[dict]:
    """Unpaced runs with every generator (servers alternating), then paced runs with the first."""
    results = []
    def spec(server: BenchServer, rate: float) -> LoadSpec:
        return LoadSpec(host="127.0.0.1", port=server.submission_port, user=USER, password=PASSWORD, sender=USER,
                        recipient="rcpt@example.net", sessions=args.submission_sessions,
                        messages=args.submission_messages, rate=rate)

    def one(server: BenchServer, rate: float, generator: loadgen.Generator) -> dict:
        settle_filesystem(args.settle)
        pid = server.start()
        try:
            cpu = procfs.cpu_seconds(pid)
            result = generator.run(spec(server, rate))
            result["server_cpu_seconds"] = procfs.cpu_seconds(pid) - cpu
            result["server_cpu_per_1000"] = (result["server_cpu_seconds"] * 1000 / result["messages"]
                                             if result["messages"] else float("nan"))
            result["server"] = server.name
            result["load"] = procfs.loadavg()
            # Both generators end a session at its first error and report one error for it.
            result["failed_sessions"] = len(result["errors"])
            result["expected_messages"] = result["sessions"] * result["messages_per_session"]
            every.append(result)
            return result
        finally:
            server.stop()
            server.remove()

    every: list[dict] = []   # every run, in order, for the per-run table
    active = [s for s in servers if not (s.name == "postfix" and sasl_problem)]
    for server in servers:
        if server.name == "postfix" and sasl_problem:
            results.append({"server": "postfix", "skipped": sasl_problem})
    unpaced: dict[tuple[str, str], list[dict]] = {(s.name, g.name): [] for s in active for g in generators}
    for run in range(1, args.runs + 1):
        for server in (active if run % 2 == 1 else list(reversed(active))):
            for generator in generators:
                result = one(server, 0.0, generator)
                result["run"] = f"unpaced {run}"
                unpaced[server.name, generator.name].append(result)
                log(f"  submission {server.name:<10} {generator.name:<18} run {run}: {result['rate']:.0f} msgs/s, "
                    f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                    f"client CPU {result['client_cpu_seconds']:.2f} s, errors {len(result['errors'])}"
                    + (f" ({result['errors'][0]})" if result["errors"] else ""))
    primary = generators[0]
    for server in active:
        medians = {}
        for generator in generators:
            runs = sorted(unpaced[server.name, generator.name], key=lambda r: r["rate"])
            median = runs[len(runs) // 2]
            median["runs"] = [r["rate"] for r in runs]
            results.append(median)
            medians[generator.name] = median
        # Latency at half of this server's own maximum, and at 500/s (half the target).
        for rate in sorted({round(medians[primary.name]["rate"] / 2), 500}):
            if rate <= 0:
                continue
            paced = one(server, float(rate), primary)
            paced["run"] = f"paced {rate}/s"
            results.append(paced)
            log(f"  submission {server.name:<10} {primary.name:<18} paced {rate}/s: {paced['rate']:.0f} msgs/s, "
                f"p50 {paced['p50_ms']:.1f} ms, p99 {paced['p99_ms']:.1f} ms, errors {len(paced['errors'])}")
    return results, every


def run_dkim(args, record: dict, generators: list[loadgen.Generator], template: Path, tls_files,
             sasl_problem: str | None, ports: tuple, sinks: list[SmtpSink], work: Path, out: Path) -> str:
    """The DKIM-on rows (portbench/dkim.py), then perf on Portcullis dual-signing and strace on both."""
    pf_smtp, pf_sub, pc_smtp, pc_sub, pc_subs, pc_web, pc_sink_port, milter_port = ports
    if sasl_problem:
        record["dkim"] = {"skipped": sasl_problem}
        return f"\n## DKIM on: authenticated submission, signed\n\nskipped: {sasl_problem}\n"
    generator = generators[0]
    milter = dkim.OpenDkim(work / "opendkim", milter_port if args.milter_socket == "inet" else None)
    postfix = dkim.PostfixOpenDkimServer(work / "postfix-dkim", pf_smtp, pf_sub, sinks[0], tls_files,
                                         [SaslAccount(USER, PASSWORD)], milter)
    pc_ports = PortcullisPorts(pc_smtp, pc_sub, pc_subs, pc_web, pc_sink_port)
    dual_keys = dkim.portcullis_template(args.binary, template, work / "portcullis-template-dkim-dual",
                                         [("pcrsa", "rsa"), ("pced", "ed25519")])
    ed_keys = dkim.portcullis_template(args.binary, template, work / "portcullis-template-dkim-ed25519",
                                       [("pcedonly", "ed25519")])
    dual = PortcullisServer(args.binary, work / "portcullis-dkim-dual", pc_ports,
                            work / "portcullis-template-dkim-dual", sinks[1], name="portcullis-dkim-dual")
    ed = PortcullisServer(args.binary, work / "portcullis-dkim-ed25519", pc_ports,
                          work / "portcullis-template-dkim-ed25519", sinks[1], name="portcullis-dkim-ed25519")
    rows = [dkim.Row(postfix, "Postfix + OpenDKIM (milter), RSA-2048", [milter.make_key()], baseline=True),
            dkim.Row(dual, "Portcullis, RSA-2048 + Ed25519 (dual)", dual_keys),
            dkim.Row(ed, "Portcullis, Ed25519", ed_keys)]
    log(f"dkim: {len(rows)} rows x {args.runs} runs, {args.submission_sessions} sessions x "
        f"{args.submission_messages} messages, STARTTLS + AUTH PLAIN, signed; {generator.description}")
    summaries = dkim.run(rows, generator, USER, PASSWORD, args.submission_sessions, args.submission_messages,
                         args.runs, args.settle, log)
    record["dkim"] = {"generator": generator.description, "rows": summaries}
    text = ("\n## DKIM on: authenticated submission (STARTTLS + AUTH PLAIN), signed\n\n"
            + report.generator_lines(generators[:1])
            + f"{args.submission_sessions} sessions × {args.submission_messages} messages of 4 KiB, medians of "
            f"{args.runs} run(s), servers alternating. Postfix: submission service with a private OpenDKIM milter "
            f"on a {'unix socket' if args.milter_socket == 'unix' else 'loopback TCP port'} "
            "(smtpd_milters on the submission service only, milter_default_action = tempfail), RSA-2048, "
            "relaxed/relaxed; its CPU is master's process tree plus the opendkim process. After each run a sample "
            f"of up to {dkim.SAMPLE} messages the sink received is verified with dkimpy against the generated keys' "
            "records (exactly the row's algorithms, every signature valid); a row with a failed sample has no rate.\n\n"
            + dkim.table(summaries) + "\nFigures: " + dkim.figures(summaries) + "\n")

    # Where the time goes: perf on the dual-signing Portcullis; syscalls per message on both.
    profile: dict = {}
    def spec(server, messages):
        return dkim._spec(server, USER, PASSWORD, args.submission_sessions, messages)
    if profiling.perf_available():
        settle_filesystem(args.settle)
        profile["perf"] = profiling.profile_submission(dual, generator.run, spec(dual, args.submission_messages),
                                                       out, work)
    strace_messages = min(args.submission_messages, 50)
    traced = dkim.syscall_profiles([dual, postfix], generator.run,
                                   {s.name: spec(s, strace_messages) for s in (dual, postfix)}, out, args.settle)
    profile["strace"] = traced
    counts: dict[str, dict[str, int]] = {}
    messages: dict[str, int] = {}
    for name, entry in traced.items():
        if "reports" not in entry:
            continue
        total: dict[str, int] = {}
        for comm, path in entry["reports"].items():
            part = profiling.parse_strace_counts(Path(path))
            for call, n in part.items():
                total[call] = total.get(call, 0) + n
            if len(entry["reports"]) > 1:   # the milter's share apart
                counts[f"{name} ({comm})"], messages[f"{name} ({comm})"] = part, entry["messages"]
        counts[name], messages[name] = total, entry["messages"]
    profile["syscalls"] = counts
    record["dkim"]["profile"] = profile
    text += f"\n### Profiles, DKIM on ({args.submission_sessions} sessions × 4 KiB, submission)\n\n"
    if counts:
        text += (f"System calls per accepted message (strace -c -f, {args.submission_sessions} × {strace_messages} "
                 "messages, until the sink had them all, so relaying is included; Postfix's total is master's tree "
                 "and opendkim together, each also shown alone):\n\n" + report.syscall_table(counts, messages) + "\n")
    if "perf" in profile:
        text += (f"perf (cpu-clock, DWARF call graphs) on {dual.name} during an unpaced run "
                 f"({profile['perf']['rate']:.0f} msgs/s under perf): "
                 + ", ".join(Path(p).name for p in profile["perf"]["reports"].values()) + "\n")
    text += "strace reports: " + ", ".join(Path(p).name for e in traced.values() for p in e.get("reports", {}).values()) + "\n"
    return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if os.geteuid() != 0:
        log("run as root: Postfix's master and smtp-sink -u postfix need it")
        return 2
    if not args.binary.is_file():
        log(f"no Portcullis binary at {args.binary}; build it with "
            "swift build -c release --product portcullis --scratch-path .build-release")
        return 2
    raise_file_limit(max(65536, args.idle + 4096))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = args.out or REPO / "Benchmarks" / "results" / stamp
    out.mkdir(parents=True, exist_ok=True)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="portcullis-bench.", dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)   # Postfix daemons (user postfix) traverse into their queue below it
    log(f"work directory {work}; results in {out}")

    facts = machine.describe(work, args.binary)
    facts["sync"] = machine.sync_rates(work)
    facts["load_start"] = " ".join(f"{x:.2f}" for x in procfs.loadavg())
    log(f"machine: {facts['nproc']} cores, {facts['memory_gib']} GiB, {facts['disk']}; "
        f"disk {facts['sync']}; load {facts['load_start']}")
    record: dict = {"machine": facts, "args": {k: str(v) for k, v in vars(args).items()}}

    (pf_smtp, pf_sub, pc_smtp, pc_sub, pc_subs, pc_web, pf_sink_port, pc_sink_port, counting_port,
     milter_port) = free_ports(10)
    # The sinks dump each message to tmpfs, so the relay section counts distinct messages.
    dumps = Path(tempfile.mkdtemp(prefix="portcullis-bench-sink.", dir="/dev/shm"))
    dumps.chmod(0o755)   # the sinks run as postfix
    sinks = [SmtpSink(pf_sink_port, work, "sink-postfix", dumps / "postfix"),
             SmtpSink(pc_sink_port, work, "sink-portcullis", dumps / "portcullis"),
             SmtpSink(counting_port, work, "sink-counting")]
    try:
        for sink in sinks:
            sink.start()
        template = work / "portcullis-template"
        PortcullisInstance.make_template(args.binary, template, [(USER, PASSWORD)])
        tls_files = (template / "tls" / "cert.pem", template / "tls" / "key.pem")
        sasl_problem = None
        if shutil.which("saslpasswd2") is None:
            sasl_problem = "saslpasswd2 missing (apt-get install sasl2-bin libsasl2-modules)"
        accounts = [SaslAccount(USER, PASSWORD)]
        postfix = PostfixServer(work / "postfix", pf_smtp, None if sasl_problem else pf_sub, sinks[0],
                                tls_files, [] if sasl_problem else accounts)
        portcullis = PortcullisServer(args.binary, work / "portcullis",
                                      PortcullisPorts(pc_smtp, pc_sub, pc_subs, pc_web, pc_sink_port), template, sinks[1])
        servers: list[BenchServer] = [postfix, portcullis]
        text = ""
        relay_summaries: list = []

        if "relay" in args.sections:
            points = [Point(int(s), int(z)) for z in args.sizes.split(",") for s in args.sessions.split(",")]
            log(f"relay: {len(points)} points x {args.runs} runs x {args.messages} messages, servers alternating")
            bench = RelayBench(servers, args.messages, args.runs, settle=args.settle, log=log,
                               ceiling=(sinks[1], sinks[2]))
            summaries = bench.run(points)
            relay_summaries = summaries
            record["relay"] = {
                "portcullis_delivers": bench.delivers.get("portcullis"),
                "measurements": [m.to_json() for m in bench.measurements],
                "summaries": [dict(asdict(s), point=asdict(s.point)) for s in summaries],
            }
            text += (f"\n## Relay: smtp-source → server → smtp-sink ({args.messages} messages a point, "
                     f"medians of {args.runs})\n\n" + report.relay_tables(summaries))

        if "mix" in args.sections:
            record["mix"], section = mix.run_section(servers, (sinks[1], sinks[2]), args.messages, args.runs,
                                                     args.settle, log)
            text += section

        if "journal" in args.sections:
            def servers_under(root: Path) -> list[BenchServer]:
                return [PostfixServer(root / "postfix", pf_smtp, None, sinks[0], tls_files, []),
                        PortcullisServer(args.binary, root / "portcullis",
                                         PortcullisPorts(pc_smtp, pc_sub, pc_subs, pc_web, pc_sink_port), template,
                                         sinks[1])]
            record["journal"], section = journal.run_section(
                servers_under, servers, work, relay_summaries, args.messages, args.runs, args.settle, log)
            text += section

        generators: list[loadgen.Generator] = []
        if {"submission", "dkim", "profile"} & set(args.sections):
            generators = loadgen.choose(args.loadgen, args.loadgen_binary, args.submission_threads,
                                        args.submission_processes, log)

        if "submission" in args.sections:
            log(f"submission: {args.submission_sessions} sessions x {args.submission_messages} messages, "
                f"STARTTLS + AUTH PLAIN; load generator(s): {'; '.join(g.description for g in generators)}")
            results, every = run_submission(args, servers, sasl_problem, generators)
            record["submission"] = results
            record["submission_runs"] = every
            record["submission_generators"] = [g.description for g in generators]
            text += ("\n## Authenticated submission (STARTTLS + AUTH PLAIN)\n\n"
                     + report.generator_lines(generators) + "\n" + report.submission_table(results)
                     + "\nEvery run, with its failures (a failed session ends at its first error; the "
                     "messages it did not send are missing from \"accepted\"):\n\n"
                     + report.submission_runs_table(every))

        if "dkim" in args.sections:
            text += run_dkim(args, record, generators, template, tls_files, sasl_problem,
                             (pf_smtp, pf_sub, pc_smtp, pc_sub, pc_subs, pc_web, pc_sink_port, milter_port),
                             sinks, work, out)

        if "idle" in args.sections:
            log(f"idle: {args.idle} sessions against Portcullis, {args.idle_postfix} against Postfix")
            idle_results = [measure_idle(portcullis, args.idle).to_json()]
            if args.idle_postfix:
                # One smtpd process per connection: the process limit must allow them all.
                idle_postfix = PostfixServer(work / "postfix-idle", pf_smtp, None, sinks[0], tls_files, [],
                                             process_limit=args.idle_postfix + 50)
                idle_results.append(measure_idle(idle_postfix, args.idle_postfix).to_json())
            for result in idle_results:
                log(f"  idle {result['server']}: {result['established']}/{result['connections']} sessions, "
                    f"+{result['extra_rss_kib'] / 1024:.1f} MiB RSS, {result['per_connection_bytes'] / 1024:.1f} KiB each")
            record["idle"] = idle_results
            text += "\n## Idle sessions after EHLO (port-25 service)\n\n" + report.idle_table(idle_results)

        if "profile" in args.sections:
            point = Point(20, 4096)
            messages = min(args.messages, 10000)
            log(f"profile: perf at 20 sessions x 4 KiB, {messages} messages; strace counts on 2,000")
            profile: dict = {"perf": profiling.perf_available()}
            def quiet(step):
                settle_filesystem(args.settle)
                return step()
            if profile["perf"]:
                profile["portcullis"] = quiet(lambda: profiling.profile_server(portcullis, point, messages, out, work))
                profile["postfix"] = quiet(lambda: profiling.profile_server(postfix, point, messages, out, work))
                profile["system"] = [quiet(lambda: profiling.system_profile(s, point, messages, out, work))
                                     for s in servers]
                load = LoadSpec(host="127.0.0.1", port=portcullis.submission_port, user=USER, password=PASSWORD,
                                sender=USER, recipient="rcpt@example.net", sessions=args.submission_sessions,
                                messages=args.submission_messages)
                profile["submission"] = quiet(lambda: profiling.profile_submission(portcullis, generators[0].run, load,
                                                                                   out, work))
                profile["submission"]["generator"] = generators[0].description
            profile["strace"] = [quiet(lambda: profiling.syscall_counts(s, point, 2000, out)) for s in servers]
            counts = {entry["server"]: profiling.parse_strace_counts(Path(entry["report"]))
                      for entry in profile["strace"] if "report" in entry}
            profile["syscalls"] = counts
            record["profile"] = profile
            text += "\n## Profiles (20 sessions × 4 KiB)\n\n"
            if counts:
                text += ("System calls per message (strace -c -f over 2,000 messages; Postfix's include relaying "
                         "them to the sink):\n\n" + report.syscall_table(counts, 2000) + "\n")
            text += "perf and strace reports: " + ", ".join(sorted(p.name for p in out.glob("*.txt"))) + "\n"

            # What the per-message abuse accounting (counters in the directory) costs.
            plain = PortcullisServer(args.binary, work / "portcullis-plain",
                                     PortcullisPorts(pc_smtp, pc_sub, pc_subs, pc_web, pc_sink_port), template, sinks[1],
                                     abuse_accounting=False)
            diagnostic = RelayBench([portcullis, plain], messages, args.runs, settle=args.settle, log=log)
            rows = diagnostic.run([point])
            record["profile"]["abuse_accounting"] = [dict(asdict(r), point=asdict(r.point)) for r in rows]
            by_name = {r.server: r for r in rows}
            table = ["| abuse accounting | server | accepted/s | e2e/s | CPU s/1k msgs |", "|---|---|---:|---:|---:|"]
            for name, label in ((portcullis.name, "**on**: every limit at 100,000,000 (counted, never reached)"),
                                (plain.name, "**off**: every limit 0 (no counting)")):
                r = by_name.get(name)
                if r is None or not r.runs:
                    table.append(f"| {label} | {name} | failed | | |")
                    continue
                table.append(f"| {label} | {name} | {r.accept_rate:.0f} | {_e2e(r.e2e_rate)} | {r.cpu_per_1000:.2f} |")
            text += (f"\nAbuse accounting on and off, Portcullis only (20 sessions × 4 KiB, {messages} messages, "
                     f"medians of {args.runs}):\n\n" + "\n".join(table) + "\n")

        if "profile-100k" in args.sections:
            record["profile_100k"], section = profile_large.run(servers, args.messages, args.settle, out, work, log)
            text += section

        facts["load_end"] = " ".join(f"{x:.2f}" for x in procfs.loadavg())
        facts["sync_end"] = machine.sync_rates(work)
        text = "# Portcullis vs Postfix\n\n" + report.machine_lines(facts) + text
        (out / "results.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
        (out / "summary.md").write_text(text, encoding="utf-8")
        log("\n" + text)
        log(f"saved {out / 'summary.md'} and {out / 'results.json'}")
        return 0
    finally:
        for sink in sinks:
            sink.stop()
        shutil.rmtree(dumps, ignore_errors=True)
        if not args.keep_workdir and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
