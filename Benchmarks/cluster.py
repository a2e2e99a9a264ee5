"""The multi-node back ends against the embedded ones, in one run: the directory on PostgreSQL
against SQLite, and local delivery over LMTP into Dovecot against Portcullis' own Maildirs.

Run as root through Benchmarks/cluster.sh (it builds the release binaries). Every server is a
private instance on loopback, started and stopped by PID: Portcullis (a fresh data directory per
run), PostgreSQL 15 with its defaults (fsync and synchronous_commit on: durable, like SQLite's
commits), Dovecot 2.3 on the configuration `portcullis dovecot-config` writes (mail_fsync
"optimized": each delivered message is fsync'd), and Postfix's smtp-sink as the remote end.
Servers alternate run by run; medians are reported.

Rows:
- submission: portcullis-loadgen, 20 sessions of STARTTLS + AUTH + 100 messages of 4 KiB each,
  to a remote recipient (routed to smtp-sink): messages accepted per second. The directory is read
  at AUTH and each message's abuse counters are written behind, once a second.
- logins: 100 sessions of STARTTLS + AUTH + one message: sessions set up per second (each AUTH
  reads the stored hash from the directory and verifies it: yescrypt dominates).
- local delivery: smtp-source, 20 sessions, 2,000 messages of 4 KiB to one hosted account on
  port 25: seconds from the first message until the queue is empty (every message stored and
  fsync'd in the mail store).
- relay with `[metrics]` off and on: smtp-source, 20 sessions, 5,000 messages of 4 KiB to a remote
  recipient on port 25 (delivered to smtp-sink meanwhile): messages accepted per second, so the
  cost of counting every event shows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in ("Tests/Interop", "Tests/Interop/directory", "Tests/Interop/cluster", "Benchmarks"):
    sys.path.insert(0, str(REPO / extra))

from dovecot_tier import DovecotTier  # noqa: E402
from interop_harness import INSIDE, JIRO, TARO, free_port  # noqa: E402
from nodes import LMTPNode  # noqa: E402
from portbench.sink import SmtpSink  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402

ARTIFACTS = REPO / "test-artifacts" / "cluster-bench"


class BenchNode(LMTPNode):
    """A cluster node of the interop suite (directory and mail store under test) with remote
    mail routed to smtp-sink and the limits out of the way."""

    def __init__(self, name: str, binary: Path, sink_port: int, directory_table: str | None = None,
                 lmtp: str | None = None, metrics_port: int | None = None) -> None:
        super().__init__(name, binary, lmtp=lmtp, directory_table=directory_table)
        self.sink_port = sink_port
        self.metrics_port = metrics_port

    def config_text(self, access_prefixes):
        text = super().config_text(access_prefixes)
        routes = f'routes = {{ "*" = "{INSIDE}:{self.dead_port}" }}'
        assert routes in text, "the harness's [delivery] routes changed"
        text = text.replace(routes, f'routes = {{ "*" = "{INSIDE}:{self.sink_port}" }}')
        text = text.replace("max_recipients = 3", "max_recipients = 100")
        text = text.replace("max_connections_per_client = 50", "max_connections_per_client = 1000")
        if self.metrics_port is not None:
            text += f'\n[metrics]\nlisten = ["{INSIDE}:{self.metrics_port}"]\n'
        return text + ("\n[abuse]\nmessages_per_hour = 100000000\nrecipients_per_day = 100000000\n"
                       "connections_per_minute = 100000000\nburst_min_recipients = 100000000\n")


def loadgen(binary: Path, node: BenchNode, sessions: int, messages: int, workdir: Path) -> dict:
    password = workdir / "password"
    password.write_text(TARO.password + "\n")
    result = subprocess.run([str(binary), "--port", str(node.submission_port), "--user", TARO.address,
                             "--password-file", str(password), "--sessions", str(sessions),
                             "--messages", str(messages), "--size", "4096", "--threads", "1"],
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"portcullis-loadgen failed: {result.stdout}{result.stderr}")
    return json.loads(result.stdout)


def local_delivery(node: BenchNode, messages: int) -> float:
    start = time.monotonic()
    subprocess.run(["smtp-source", "-c", "-s", "20", "-m", str(messages), "-l", "4096", "-f", "sender@example.org",
                    "-t", JIRO.address, f"{INSIDE}:{node.smtp_port}"],
                   check=True, capture_output=True, timeout=900)
    while node.queue_ids():
        if time.monotonic() - start > 900:
            raise RuntimeError("the queue did not empty within 15 minutes")
        time.sleep(0.1)
    return time.monotonic() - start


def relay_accepted(node: BenchNode, messages: int) -> float:
    """smtp-source, 20 sessions of 4 KiB to a remote recipient on port 25: accepted msgs/s."""
    start = time.monotonic()
    subprocess.run(["smtp-source", "-c", "-s", "20", "-m", str(messages), "-l", "4096", "-f", "sender@example.org",
                    "-t", "someone@example.net", f"{INSIDE}:{node.smtp_port}"],
                   check=True, capture_output=True, timeout=900)
    return messages / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", type=Path, required=True)
    parser.add_argument("--loadgen", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=2000, help="local delivery messages per run")
    parser.add_argument("--only", choices=("all", "metrics"), default="all",
                        help="metrics: only the relay rows with [metrics] off and on")
    args = parser.parse_args()
    os.environ["PORTCULLIS_BIN"] = str(args.binary)
    os.environ["PORTCULLIS_ARTIFACTS"] = str(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    workdir = ARTIFACTS / "work"
    workdir.mkdir(exist_ok=True)

    sink = SmtpSink(free_port(), ARTIFACTS, "sink")
    sink.start()
    postgres = PostgresServer(ARTIFACTS, durable=True)
    postgres.start()
    results: dict[str, list[float]] = {}

    def record(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)
        print(f"{name}: {value:.1f}", flush=True)

    try:
        for run in range(args.runs):
            for metrics in ("off", "on"):
                node = BenchNode(f"metrics-{metrics}-{run}", args.binary, sink.port,
                                 metrics_port=free_port() if metrics == "on" else None)
                node.initialise()
                node.provision()
                node.cli("queue", "resume")
                node.start()
                try:
                    record(f"relay accepted msgs/s (20 × 4 KiB), [metrics] {metrics}", relay_accepted(node, 5000))
                finally:
                    node.stop()
                    shutil.rmtree(node.root, ignore_errors=True)
            if args.only == "metrics":
                continue
            for kind in ("SQLite", "PostgreSQL"):
                table = None
                if kind == "PostgreSQL":
                    database = postgres.create_database()
                    subprocess.run([str(args.binary), "directory", "migrate", "--directory-url", postgres.url(database)],
                                   check=True, capture_output=True, timeout=120)
                    table = f'[directory]\nurl = "{postgres.url(database)}"\n'
                node = BenchNode(f"dir-{kind}-{run}", args.binary, sink.port, directory_table=table)
                node.initialise()
                node.provision()
                node.cli("queue", "resume")
                node.start()
                try:
                    record(f"submission msgs/s, {kind}", loadgen(args.loadgen, node, 20, 100, workdir)["rate"])
                    summary = loadgen(args.loadgen, node, 100, 1, workdir)
                    record(f"logins/s, {kind}", 100 / summary["setup_seconds"])
                finally:
                    node.stop()
                    shutil.rmtree(node.root, ignore_errors=True)
            for store in ("Maildir", "LMTP to Dovecot"):
                dovecot = None
                node = BenchNode(f"store-{run}", args.binary, sink.port)
                if store != "Maildir":
                    dovecot = DovecotTier(ARTIFACTS / f"dovecot-{run}")
                    node.lmtp = dovecot.lmtp_address
                try:
                    node.initialise()
                    node.provision()
                    if dovecot is not None:
                        dovecot.configure(args.binary, node.data_dir)
                        dovecot.start()
                    node.cli("queue", "resume")
                    node.start()
                    seconds = local_delivery(node, args.messages)
                    record(f"local delivery msgs/s, {store}", args.messages / seconds)
                finally:
                    node.stop()
                    if dovecot is not None:
                        dovecot.remove()
                    shutil.rmtree(node.root, ignore_errors=True)
    finally:
        postgres.stop()
        sink.stop()

    print("\n| row | median | runs |\n|---|---:|---|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):,.1f} | {', '.join(f'{v:,.1f}' for v in values)} |")


if __name__ == "__main__":
    main()
