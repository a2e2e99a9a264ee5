"""DKIM on: authenticated submission of mail the server signs, Portcullis against Postfix + OpenDKIM.

Rows, each the median of --runs (servers alternating, the file system settled before every
start), with the submission load generator (20 sessions, STARTTLS + AUTH PLAIN, 4 KiB, From:
the login's own address in alato.example, recipient in a remote domain, so every message is
signed and relayed to the server's smtp-sink):
- **Postfix + OpenDKIM**: Postfix's submission service with `smtpd_milters` pointing at a
  private OpenDKIM (Debian's `opendkim`, run here as `opendkim -f -x CONF` and stopped by its
  PID; config, key and socket of its own under the work directory, a unix socket there by
  default or an inet socket on a loopback port; the system service is never used). Only the submission service has the milter, and
  `milter_default_action = tempfail`, so a message the milter did not see is refused, never
  accepted unsigned. OpenDKIM signs RSA-2048 (`opendkim-genkey -b 2048`), relaxed/relaxed,
  selector `bench`.
- **Portcullis, RSA-2048 + Ed25519**: the template data directory plus two keys from
  `portcullis dkim generate` (dual-signed: two DKIM-Signature fields per message).
- **Portcullis, Ed25519**: the same with one Ed25519 key.

After every run the harness waits for the sink to receive what the server accepted, then
verifies a sample of the dumped messages with dkimpy (`dkimverify.py`), its DNS hook answered
from the records of the generated keys. Every signature must verify, with `d=alato.example`,
and the algorithms must be exactly the row's (rsa-sha256 and ed25519-sha256 for dual, ed25519
only for the Ed25519 row). A row with any run whose sample fails is reported failed, without a
rate.

Server CPU is read from /proc over the load phase (as in the submission section); for Postfix
it is master's tree plus the opendkim process (all its threads).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import procfs, profiling
from .servers import BenchServer, PostfixServer, settle_filesystem
from .submission import LoadSpec

SIGNING_DOMAIN = "alato.example"
SAMPLE = 5          # messages verified per run
RSA = "rsa-sha256"
ED25519 = "ed25519-sha256"
_QUOTED = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class Key:
    selector: str
    algorithm: str      # RSA or ED25519
    record: str         # the TXT record's text, character-strings joined

    @property
    def dns_name(self) -> str:
        return f"{self.selector}._domainkey.{SIGNING_DOMAIN}"


def record_text(zone_text: str) -> str:
    """The character-strings of a zone-file TXT record, joined as verifiers join them."""
    return "".join(_QUOTED.findall(zone_text))


def portcullis_template(binary: Path, base: Path, template: Path, keys: list[tuple[str, str]]) -> list[Key]:
    """A copy of the base template with DKIM keys for the signing domain: (selector, "rsa"|"ed25519")."""
    if template.exists():
        shutil.rmtree(template)
    shutil.copytree(base, template)
    made = []
    for selector, algorithm in keys:
        result = subprocess.run([str(binary), "dkim", "generate", SIGNING_DOMAIN, "--selector", selector,
                                 "--algorithm", algorithm, "--data-dir", str(template)],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"portcullis dkim generate failed: {result.stderr.strip()}")
        line = next((l for l in result.stdout.splitlines() if "._domainkey." in l), None)
        if line is None:
            raise RuntimeError(f"portcullis dkim generate printed no record: {result.stdout!r}")
        made.append(Key(selector, RSA if algorithm == "rsa" else ED25519, record_text(line)))
    return made


class OpenDkim:
    """A private OpenDKIM milter in signing mode, one process started and stopped by its PID."""

    def __init__(self, root: Path, port: int | None = None, selector: str = "bench") -> None:
        """A unix socket in `root` unless `port` asks for an inet socket on 127.0.0.1."""
        self.root = root
        self.port = port
        self.socket_path = root / "opendkim.sock"
        self.selector = selector
        self.key_file = root / "keys" / f"{selector}.private"
        self.config_file = root / "opendkim.conf"
        self.log_path = root / "opendkim.log"
        self.process: subprocess.Popen | None = None
        self.key: Key | None = None

    def make_key(self) -> Key:
        """RSA-2048 with Debian's opendkim-genkey; returns the record it writes beside the key."""
        keys = self.key_file.parent
        if keys.exists():
            shutil.rmtree(keys)
        keys.mkdir(parents=True, mode=0o700)
        subprocess.run(["opendkim-genkey", "-b", "2048", "-d", SIGNING_DOMAIN, "-s", self.selector, "-D", str(keys)],
                       check=True, capture_output=True, timeout=120)
        self.key_file.chmod(0o600)
        self.key = Key(self.selector, RSA, record_text((keys / f"{self.selector}.txt").read_text()))
        return self.key

    def config_text(self) -> str:
        return f"""# Private benchmark milter (Benchmarks/portbench/dkim.py); loopback only.
Mode                s
Domain              {SIGNING_DOMAIN}
Selector            {self.selector}
KeyFile             {self.key_file}
Canonicalization    relaxed/relaxed
SignatureAlgorithm  rsa-sha256
OversignHeaders     From
Socket              {f"inet:{self.port}@127.0.0.1" if self.port else f"local:{self.socket_path}"}
PidFile             {self.root / 'opendkim.pid'}
Syslog              no
# Postfix's smtpd (user postfix) connects to the unix socket; the key stays root's, 0600.
UMask               000
# The key is root's, 0600, in a 0700 directory; its path runs through /var/tmp, which is
# world-writable (sticky), and OpenDKIM's safe-key check refuses any such ancestor.
RequireSafeKeys     no
"""

    @property
    def postfix_address(self) -> str:
        """The milter as Postfix's smtpd_milters names it."""
        return f"inet:127.0.0.1:{self.port}" if self.port else f"unix:{self.socket_path}"

    def _accepting(self) -> bool:
        try:
            if self.port:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(1)
                probe.connect(str(self.socket_path))
                return True
        except OSError:
            return False

    def start(self, timeout: float = 30) -> int:
        if self.key is None:
            self.make_key()
        self.config_file.write_text(self.config_text(), encoding="ascii")
        self.socket_path.unlink(missing_ok=True)
        self.root.chmod(0o755)
        self.process = subprocess.Popen(["opendkim", "-f", "-x", str(self.config_file)], stdin=subprocess.DEVNULL,
                                        stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"opendkim exited with {self.process.returncode}; see {self.log_path}")
            if self._accepting():
                return self.process.pid
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"opendkim did not listen on {self.postfix_address} within {timeout} s; see {self.log_path}")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.poll() is None else None

    def stop(self, timeout: float = 15) -> None:
        procfs.terminate(self.process, timeout)


class PostfixOpenDkimServer(PostfixServer):
    """Postfix whose submission service signs through the private OpenDKIM milter."""
    name = "postfix-opendkim"

    def __init__(self, root: Path, smtp_port: int, submission_port: int, sink, tls_files, sasl_accounts,
                 milter: OpenDkim) -> None:
        super().__init__(root, smtp_port, submission_port, sink, tls_files, sasl_accounts,
                         submission_milter=milter.postfix_address)
        self.milter = milter

    def start(self) -> int:
        self.milter.start()
        try:
            return super().start()
        except BaseException:
            self.milter.stop()
            raise

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            self.milter.stop()

    def process_roots(self) -> list[int]:
        return super().process_roots() + ([self.milter.pid] if self.milter.pid is not None else [])


@dataclass
class Row:
    server: BenchServer
    label: str
    keys: list[Key]
    baseline: bool = False       # the row the others are compared with
    runs: list[dict] = field(default_factory=list)

    @property
    def algorithms(self) -> list[str]:
        return sorted(key.algorithm for key in self.keys)


def interpreter() -> str | None:
    """A Python that imports dkimpy and PyNaCl: this one, or Debian's (python3-dkim, python3-nacl)."""
    for candidate in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        probe = subprocess.run([candidate, "-c", "import dkim, nacl"], capture_output=True, timeout=60)
        if probe.returncode == 0:
            return candidate
    return None


def verify_sample(dump_dir: Path, row: Row, python: str | None, sample: int = SAMPLE) -> dict:
    """Verifies up to `sample` dumped messages; ok only if each carries exactly the row's signatures, all valid."""
    files = sorted(p for p in dump_dir.iterdir() if p.name.startswith("m."))
    if python is None:
        return {"ok": False, "checked": 0, "problem": "no Python with dkimpy and PyNaCl (apt-get install python3-dkim python3-nacl)"}
    if not files:
        return {"ok": False, "checked": 0, "problem": "the sink received no message"}
    chosen = random.Random().sample(files, min(sample, len(files)))
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="dkim-records.", delete=False) as handle:
        json.dump({key.dns_name: key.record for key in row.keys}, handle)
        records = handle.name
    try:
        env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"}
        result = subprocess.run([python, "-m", "portbench.dkimverify", records, *map(str, chosen)],
                                capture_output=True, text=True, timeout=120, env=env)
    finally:
        Path(records).unlink(missing_ok=True)
    if result.returncode != 0:
        return {"ok": False, "checked": 0, "problem": f"dkimverify failed: {result.stderr.strip()[-500:]}"}
    expected = row.algorithms
    problem = None
    for entry in json.loads(result.stdout):
        signatures = entry["signatures"]
        found = sorted(s["a"] for s in signatures)
        bad = [s for s in signatures if not s["verified"] or s["d"].lower() != SIGNING_DOMAIN]
        if found != expected:
            problem = f"{Path(entry['file']).name}: signatures {found or 'none'}, expected {expected}"
        elif bad:
            problem = (f"{Path(entry['file']).name}: {bad[0]['a']} s={bad[0]['s']} d={bad[0]['d']} does not verify"
                       + (f" ({bad[0]['error']})" if bad[0].get("error") else ""))
        if problem:
            break
    return {"ok": problem is None, "checked": len(chosen), "algorithms": expected, "problem": problem}


def _spec(server: BenchServer, user: str, password: str, sessions: int, messages: int) -> LoadSpec:
    return LoadSpec(host="127.0.0.1", port=server.submission_port, user=user, password=password, sender=user,
                    recipient="rcpt@example.net", sessions=sessions, messages=messages)


def measure(row: Row, generator, spec: LoadSpec, settle: float, python: str | None) -> dict:
    """One run: load, wait for the sink to receive what was accepted, verify a sample."""
    server, sink = row.server, row.server.sink
    settle_filesystem(settle)
    sink.clear_dumps()
    before = sink.messages
    server.start()
    try:
        roots = server.process_roots()
        cpu = sum(procfs.cpu_seconds(pid) for pid in roots)
        result = generator.run(spec)
        result["server_cpu_seconds"] = sum(procfs.cpu_seconds(pid) for pid in roots) - cpu
        result["server_cpu_per_1000"] = (result["server_cpu_seconds"] * 1000 / result["messages"]
                                         if result["messages"] else float("nan"))
        result["failed_sessions"] = len(result["errors"])
        result["expected_messages"] = result["sessions"] * result["messages_per_session"]
        result["all_delivered"] = sink.wait_for(before + result["messages"], timeout=300, idle_timeout=30)
        result["delivered"] = sink.messages - before
    finally:
        server.stop()
        server.remove()
    result["server"] = server.name
    result["row"] = row.label
    result["dkim"] = verify_sample(sink.dump_dir, row, python)
    return result


def run(rows: list[Row], generator, user: str, password: str, sessions: int, messages: int, runs: int,
        settle: float, log) -> list[dict]:
    """Every row `runs` times, order reversed on even runs; returns one summary per row."""
    python = interpreter()
    if python is None:
        log("  dkim: no Python with dkimpy and PyNaCl: every row will be marked failed")
    for number in range(1, runs + 1):
        for row in (rows if number % 2 == 1 else list(reversed(rows))):
            result = measure(row, generator, _spec(row.server, user, password, sessions, messages), settle, python)
            result["run"] = number
            row.runs.append(result)
            check = result["dkim"]
            log(f"  dkim {row.server.name:<24} run {number}: {result['rate']:.0f} msgs/s, p50 {result['p50_ms']:.1f} ms, "
                f"p99 {result['p99_ms']:.1f} ms, CPU {result['server_cpu_per_1000']:.2f} s/1k, "
                f"errors {len(result['errors'])}, delivered {result['delivered']}/{result['messages']}, "
                f"signatures {'verified' if check['ok'] else 'FAILED: ' + str(check['problem'])}"
                + (f" ({result['errors'][0]})" if result["errors"] else ""))
    return [summarize(row) for row in rows]


def summarize(row: Row) -> dict:
    failed = [r for r in row.runs if not r["dkim"]["ok"]]
    summary = {"row": row.label, "server": row.server.name, "algorithms": row.algorithms, "baseline": row.baseline,
               "keys": [{"selector": k.selector, "algorithm": k.algorithm} for k in row.keys],
               "runs": [{k: v for k, v in r.items() if k != "latencies"} for r in row.runs]}
    if failed or not row.runs:
        summary["failed"] = failed[0]["dkim"]["problem"] if failed else "no run"
        return summary
    ordered = sorted(row.runs, key=lambda r: r["rate"])
    median = ordered[len(ordered) // 2]
    summary.update({
        "rates": [r["rate"] for r in ordered],
        "rate": median["rate"], "p50_ms": median["p50_ms"], "p99_ms": median["p99_ms"],
        "server_cpu_per_1000": median["server_cpu_per_1000"],
        "failed_sessions": sum(r["failed_sessions"] for r in row.runs),
        "sessions": sum(r["sessions"] for r in row.runs),
        "accepted": sum(r["messages"] for r in row.runs),
        "expected": sum(r["expected_messages"] for r in row.runs),
        "delivered": sum(r["delivered"] for r in row.runs),
        "checked": sum(r["dkim"]["checked"] for r in row.runs),
    })
    return summary


def table(summaries: list[dict]) -> str:
    base = next((s for s in summaries if s["baseline"] and "failed" not in s), None)
    lines = ["| row | signatures | msgs/s (median) | runs | p50 ms | p99 ms | server CPU s/1k msgs | failed sessions "
             "| accepted / expected | delivered | messages verified | × Postfix+OpenDKIM msgs/s | × CPU/msg |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in summaries:
        algorithms = " + ".join(s["algorithms"])
        if "failed" in s:
            problem = str(s["failed"]).replace("|", "\\|")
            lines.append(f"| {s['row']} | {algorithms} | **failed**: {problem} | | | | | | | | | | |")
            continue
        ratio = cpu_ratio = "—" if s is base or base is None else None
        if ratio is None:
            ratio = f"{s['rate'] / base['rate']:.2f}"
            cpu_ratio = f"{s['server_cpu_per_1000'] / base['server_cpu_per_1000']:.2f}"
        lines.append(
            f"| {s['row']} | {algorithms} | {s['rate']:.0f} | {', '.join(f'{r:.0f}' for r in s['rates'])} | "
            f"{s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['server_cpu_per_1000']:.2f} | "
            f"{s['failed_sessions']} of {s['sessions']} | {s['accepted']} / {s['expected']} | {s['delivered']} | "
            f"{s['checked']} | {ratio} | {cpu_ratio} |")
    return "\n".join(lines) + "\n"


def figures(summaries: list[dict]) -> str:
    """The figures the targets are read from (≥ 3× Postfix+OpenDKIM and ≥ 1,000 msgs/s), without verdicts."""
    base = next((s for s in summaries if s["baseline"]), None)
    parts = []
    for s in summaries:
        if s is base:
            continue
        if "failed" in s:
            parts.append(f"{s['row']}: failed")
        elif base is None or "failed" in base:
            parts.append(f"{s['row']}: {s['rate']:.0f} msgs/s (Postfix+OpenDKIM failed, no ratio)")
        else:
            parts.append(f"{s['row']}: {s['rate']:.0f} msgs/s, {s['rate'] / base['rate']:.2f}× Postfix+OpenDKIM "
                         f"({base['rate']:.0f} msgs/s)")
    return "; ".join(parts) + "."


def syscall_profiles(servers: list[BenchServer], run_load, specs: dict[str, LoadSpec], out: Path,
                     settle: float) -> dict:
    """strace -c -f per process tree (Postfix's master and OpenDKIM apart) during a submission run."""
    results = {}
    for server in servers:
        settle_filesystem(settle)
        results[server.name] = profiling.submission_syscall_counts(server, run_load, specs[server.name], out)
    return results
