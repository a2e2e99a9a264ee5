"""POP3: Portcullis and Dovecot side by side over the same Maildirs, in one run.

Run through Benchmarks/pop3-vs-dovecot.sh (as root). Both servers are private instances on
loopback: Portcullis (`portcullis serve` with a data dir of its own, set up by the interop
harness) and Dovecot 2.3 (`dovecot -F -c FILE`, Tests/Interop/pop3/dovecot_peer.py) reading
Portcullis' `<data>/mailboxes/<domain>/<local>/Maildir` trees. Dovecot authenticates from a
passwd-file holding the very yescrypt hashes `portcullis user add` stored ({CRYPT}), so a login
costs both servers the same hash.

Rows (each server measured in turn, the order alternating between runs; medians of the runs):
- logins/s: POP3S connect + TLS handshake + USER/PASS + QUIT, 1 and 20 clients, each client on
  its own account (a mailbox of 100 messages of 4 KiB);
- RETR throughput: every message of a mailbox of 1,000 × 4 KiB and of 100 × 1 MiB, 1 client and
  20 clients (each on its own copy of the mailbox: Portcullis holds a mailbox exclusively,
  RFC 1939 §8); the copies are hard links of the same files;
- Dovecot runs in the "high-performance" login mode of its documentation (login processes kept
  and shared, `service_count = 0`, `process_min_avail` = cores), its fastest for logins;
  Debian's default forks a pop3-login per connection (`--dovecot-default-login` measures that);
- memory per session: N logged-in idle sessions (after STAT), the servers' summed RSS and PSS
  (/proc/PID/status VmRSS, /proc/PID/smaps_rollup Pss, over every process of the server) minus
  the same sum before, divided by N. Dovecot forks a `pop3` process per session; summed RSS
  counts its shared libraries once per process, PSS shares them out.
The load client is Python (ssl, one process per client so the clients do not share a GIL); it
runs on the same 2 cores as the server it measures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import socket
import sqlite3
import ssl
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "Interop"))
sys.path.insert(0, str(REPO / "Tests" / "Interop" / "pop3"))

from interop_harness import INSIDE, free_port  # noqa: E402
from dovecot_peer import DovecotPOP3  # noqa: E402
from pop3_harness import POP3Portcullis  # noqa: E402

PASSWORD = "pop3-bench-password"
HOST = "mail.alato.example"


class BenchPortcullis(POP3Portcullis):
    """The interop harness's POP3 server with its test limits lifted for load."""

    def config_text(self, access_prefixes) -> str:
        text = super().config_text(access_prefixes)
        text = text.replace("max_connections = 200", "max_connections = 20000")
        text = text.replace("max_connections_per_client = 50", "max_connections_per_client = 20000")
        return text.replace("[abuse]\n", "[abuse]\nconnections_per_minute = 100000000\n", 1)


# -- the load client (runs in worker processes) --------------------------------------------------

def _make_context() -> ssl.SSLContext:
    # No CA store: loading the system's at every connection would cost the client more than
    # the handshake. Each connection still makes a full handshake (no session reuse).
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


_CONTEXT: ssl.SSLContext | None = None


def _context() -> ssl.SSLContext:
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = _make_context()
    return _CONTEXT


class Client:
    def __init__(self, port: int) -> None:
        raw = socket.create_connection((INSIDE, port), timeout=120)
        self.sock = _context().wrap_socket(raw, server_hostname=HOST)
        self.buffer = bytearray()
        self.line()

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.buffer += chunk

    def line(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[:end + 2]
                return line
            self._fill()

    def command(self, text: str) -> bytes:
        self.sock.sendall(text.encode() + b"\r\n")
        reply = self.line()
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"{text.split()[0]}: {reply!r}")
        return reply

    def block(self) -> int:
        """Reads a multi-line response to its CRLF.CRLF; returns its size in octets."""
        searched = 0
        while True:
            if self.buffer.startswith(b".\r\n"):
                del self.buffer[:3]
                return 0
            end = self.buffer.find(b"\r\n.\r\n", max(0, searched - 4))
            if end >= 0:
                del self.buffer[:end + 5]
                return end + 2
            searched = len(self.buffer)
            self._fill()

    def login(self, address: str) -> None:
        self.command(f"USER {address}")
        self.command(f"PASS {PASSWORD}")

    def quit(self) -> None:
        try:
            self.command("QUIT")
        finally:
            self.sock.close()


def _login_worker(job):
    port, address, seconds, start_at = job
    while time.time() < start_at:
        time.sleep(0.001)
    done = failed = 0
    end = start_at + seconds
    errors = []
    while time.time() < end:
        try:
            client = Client(port)
            client.login(address)
            client.quit()
            done += 1
        except Exception as error:  # noqa: BLE001 - counted and reported
            failed += 1
            if len(errors) < 3:
                errors.append(repr(error))
    return done, failed, time.time() - start_at, errors


def _retr_worker(job):
    port, address, start_at = job
    while time.time() < start_at:
        time.sleep(0.001)
    count = octets = 0
    began = finished = time.time()
    last = "connect"
    try:
        client = Client(port)
        last = "login"
        client.login(address)
        last = "STAT"
        total = int(client.command("STAT").split()[1])
        began = time.time()
        for number in range(1, total + 1):
            last = f"RETR {number}"
            client.command(last)
            octets += client.block()
            count += 1
        finished = time.time()
        last = "QUIT"
        client.quit()
        return count, octets, began, finished, None
    except Exception as error:  # noqa: BLE001 - a stalled or refused session is reported, not fatal
        return count, octets, began, time.time(), f"{address}: {last}: {error!r}"


# -- measuring -----------------------------------------------------------------------------------

def logins_per_second(pool, port: int, accounts: list[str], seconds: float) -> dict:
    start_at = time.time() + 0.5
    results = pool.map(_login_worker, [(port, a, seconds, start_at) for a in accounts])
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results)
    errors = [e for r in results for e in r[3]][:3]
    return {"rate": done / elapsed, "done": done, "failed": failed, "errors": errors}


def retr_throughput(pool, port: int, accounts: list[str]) -> dict:
    start_at = time.time() + 0.5
    results = pool.map(_retr_worker, [(port, a, start_at) for a in accounts])
    messages = sum(r[0] for r in results)
    octets = sum(r[1] for r in results)
    elapsed = max(r[3] for r in results) - min(r[2] for r in results)
    errors = [r[4] for r in results if r[4]]
    return {"messages_per_s": messages / elapsed, "mib_per_s": octets / elapsed / 1048576,
            "messages": messages, "seconds": elapsed, "errors": errors}


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def memory_kib(root: int) -> tuple[int, int, int]:
    """(summed VmRSS, summed Pss, process count) over the server's processes, in KiB."""
    rss = pss = count = 0
    for pid in process_tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        count += 1
        rss += next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmRSS:"))
        pss += next(int(l.split()[1]) for l in rollup.splitlines() if l.startswith("Pss:"))
    return rss, pss, count


def idle_memory(root_pid: int, port: int, accounts: list[str]) -> dict:
    time.sleep(2)
    before = memory_kib(root_pid)
    clients = []
    for address in accounts:
        client = Client(port)
        client.login(address)
        client.command("STAT")
        clients.append(client)
    time.sleep(3)
    during = memory_kib(root_pid)
    for client in clients:
        client.quit()
    n = len(accounts)
    return {"sessions": n, "rss_before_kib": before[0], "rss_during_kib": during[0],
            "pss_before_kib": before[1], "pss_during_kib": during[1],
            "rss_per_session_kib": (during[0] - before[0]) / n, "pss_per_session_kib": (during[1] - before[1]) / n,
            "processes_before": before[2], "processes_during": during[2]}


# -- set-up ---------------------------------------------------------------------------------------

def make_mailboxes(portcullis: BenchPortcullis, spec: dict[str, tuple[int, int, int]]) -> dict[str, list[str]]:
    """spec: prefix -> (accounts, messages, size). One source set of files per (messages, size),
    hard-linked into every account's Maildir/cur."""
    source_root = portcullis.root / "sources"
    groups: dict[str, list[str]] = {}
    for prefix, (accounts, messages, size) in spec.items():
        source = source_root / f"{messages}x{size}"
        if not source.is_dir():
            source.mkdir(parents=True)
            for index in range(messages):
                header = (f"From: bench@example.net\nTo: {prefix}@alato.example\nSubject: message {index}\n"
                          f"Message-ID: <{prefix}-{index}@bench.example>\n\n").encode()
                line = b"The quick brown fox jumps over the lazy dog; 0123456789 abcdefghij.\n"
                body = (line * (size // len(line) + 1))[: max(0, size - len(header))]
                content = header + body
                # Named as Portcullis' delivery names them: the Maildir++ S= (file size) and W=
                # (size with CRLF line ends) fields, which Dovecot reads too. Without W= a server
                # has to read every file at login to give exact POP3 sizes.
                wire_size = len(content) + content.count(b"\n")
                name = f"{1700000000 + index}.M{index}P1Q{index}.bench.example,S={len(content)},W={wire_size}:2,"
                (source / name).write_bytes(content)
        groups[prefix] = []
        for number in range(accounts):
            address = f"{prefix}-{number:03d}@alato.example"
            portcullis.cli("user", "add", address, "--password-stdin", input=PASSWORD + "\n")
            maildir = portcullis.maildir(address)
            for sub in ("new", "tmp", "cur"):
                (maildir / sub).mkdir(parents=True, exist_ok=True)
            for path in source.iterdir():
                os.link(path, maildir / "cur" / path.name)
            groups[prefix].append(address)
    return groups


def stored_hashes(portcullis: BenchPortcullis) -> dict[str, str]:
    with sqlite3.connect(portcullis.data_dir / "directory.sqlite") as db:
        return dict(db.execute("SELECT address, password_hash FROM accounts"))


def machine() -> dict:
    def first(path: str, key: str) -> str:
        try:
            return next(l.split(":", 1)[1].strip() for l in Path(path).read_text().splitlines() if l.startswith(key))
        except (OSError, StopIteration):
            return "?"
    dovecot = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": first("/proc/cpuinfo", "model name"),
            "cores": os.cpu_count(), "memory": first("/proc/meminfo", "MemTotal"), "kernel": platform.release(),
            "dovecot": dovecot, "load_at_start": os.getloadavg()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="the portcullis binary (a release build)")
    parser.add_argument("--runs", type=int, default=3, help="runs per row (servers alternate); median reported")
    parser.add_argument("--login-seconds", type=float, default=10.0)
    parser.add_argument("--idle-sessions", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="one run, 3 s of logins, 20 idle sessions")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--dovecot-default-login", action="store_true",
                        help="Dovecot as Debian ships it (a pop3-login process per connection) instead of "
                             "its documented high-performance login mode")
    parser.add_argument("--servers", default="Dovecot,Portcullis",
                        help="comma-separated: which servers to drive (both by default)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.login_seconds, args.idle_sessions = 1, 3.0, 20

    info = machine()
    print(f"machine: {info}", flush=True)
    portcullis = BenchPortcullis("pop3bench", Path(args.binary).resolve())
    portcullis.initialise()
    portcullis.provision()
    print("creating accounts and mailboxes (hard links) ...", flush=True)
    groups = make_mailboxes(portcullis, {
        "small": (20, 1000, 4096),
        "large": (20, 100, 1048576),
        "idle": (max(20, args.idle_sessions), 100, 4096),
    })
    dovecot = DovecotPOP3(portcullis.root / "dovecot", portcullis.mailboxes, portcullis.certificate,
                          portcullis.data_dir / "tls" / "key.pem", free_port(), free_port(),
                          login_performance_mode=not args.dovecot_default_login)
    info["dovecot_login_mode"] = "a process per connection (Debian default)" if args.dovecot_default_login \
        else "high-performance (service_count = 0, process_min_avail = cores)"
    for address, crypt_hash in stored_hashes(portcullis).items():
        dovecot.add_user(address, crypt_hash=crypt_hash)
    servers = {"Dovecot": (dovecot.pop3s_port, lambda: dovecot.process.pid),
               "Portcullis": (portcullis.pop3s_port, lambda: portcullis.pid)}
    servers = {name: servers[name] for name in args.servers.split(",")}
    # Dovecot's mail processes run as `mail` and must reach the Maildirs inside the data dir.
    for directory in (portcullis.root, portcullis.data_dir, portcullis.mailboxes):
        os.chmod(directory, os.stat(directory).st_mode | 0o111)
    if "Portcullis" in servers:
        portcullis.start()
    dovecot.start()
    results: dict = {"machine": info, "rows": {}}
    try:
        with multiprocessing.Pool(20) as pool:
            # Memory first, on servers that have served one login each: after the throughput rows a
            # heap keeps its high-water mark and new sessions fit in it, which would hide their cost.
            memory = {}
            for name, (port, pid) in servers.items():
                pool.map(_login_worker, [(port, groups["idle"][-1], 0.01, time.time())])
                memory[name] = idle_memory(pid(), port, groups["idle"][:args.idle_sessions])
                print(f"{name} idle sessions: {memory[name]}", flush=True)
            print("warm-up: one session per account on each server (Dovecot builds its indexes)", flush=True)
            for name, (port, _) in servers.items():
                for group in ("small", "large"):
                    warm = retr_throughput(pool, port, groups[group])
                    print(f"  {name} {group}: {warm['messages']} messages in {warm['seconds']:.1f} s "
                          f"{warm['errors'] or ''}", flush=True)
                pool.map(_login_worker, [(port, a, 0.01, time.time()) for a in groups["idle"]])
            rows = {}
            for run in range(args.runs):
                order = list(servers) if run % 2 == 0 else list(reversed(servers))
                for name in order:
                    port, _ = servers[name]
                    for clients in (1, 20):
                        key = f"logins/s, {clients} client(s)"
                        r = logins_per_second(pool, port, groups["idle"][:clients], args.login_seconds)
                        rows.setdefault(key, {}).setdefault(name, []).append(r)
                        print(f"run {run + 1} {name:10} {key}: {r['rate']:.1f} ({r['failed']} failed {r['errors']})",
                              flush=True)
                    for group, label in (("small", "1,000 × 4 KiB"), ("large", "100 × 1 MiB")):
                        for clients in (1, 20):
                            key = f"RETR {label}, {clients} client(s)"
                            r = retr_throughput(pool, port, groups[group][:clients])
                            rows.setdefault(key, {}).setdefault(name, []).append(r)
                            print(f"run {run + 1} {name:10} {key}: {r['messages_per_s']:.0f} msg/s "
                                  f"{r['mib_per_s']:.1f} MiB/s {r['errors'] or ''}", flush=True)
    finally:
        dovecot.stop()
        portcullis.stop()

    results["rows"] = rows
    results["memory"] = memory
    print("\n| row | Dovecot | Portcullis | ratio |\n|---|---:|---:|---:|")
    def median(name: str, key: str, metric: str) -> float:
        runs = rows[key].get(name)
        return statistics.median(r[metric] for r in runs) if runs else float("nan")

    for key in rows:
        metric = "rate" if key.startswith("logins") else "messages_per_s"
        d, p = median("Dovecot", key, metric), median("Portcullis", key, metric)
        extra = ""
        if metric == "messages_per_s":
            extra = f" ({median('Dovecot', key, 'mib_per_s'):.1f} / {median('Portcullis', key, 'mib_per_s'):.1f} MiB/s)"
        unit = "logins/s" if metric == "rate" else "msgs/s"
        print(f"| {key} ({unit}){extra} | {d:,.1f} | {p:,.1f} | {p / d:.2f} |")
    print("\n| memory, idle logged-in sessions | Dovecot | Portcullis |\n|---|---:|---:|")
    blank = {"rss_per_session_kib": float("nan"), "pss_per_session_kib": float("nan"), "sessions": 0,
             "processes_before": 0, "processes_during": 0}
    dm, pm = memory.get("Dovecot", blank), memory.get("Portcullis", blank)
    for label, field in (("RSS per session (KiB, summed over processes)", "rss_per_session_kib"),
                         ("PSS per session (KiB)", "pss_per_session_kib")):
        print(f"| {label} | {dm[field]:,.0f} | {pm[field]:,.0f} |")
    print(f"| sessions; processes before → during | {dm['sessions']}; {dm['processes_before']} → "
          f"{dm['processes_during']} | {pm['sessions']}; {pm['processes_before']} → {pm['processes_during']} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
