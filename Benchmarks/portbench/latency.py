"""`python3 -m portbench.latency`: how long one relayed message waits before it is delivered.

On an idle server, one message at a time: the client sends a message to the port-25 service
and notes the moment it reads the 250 reply to the end of DATA; the smtp-sink the server
relays to notes the moment it has counted the message (end of DATA, `smtp-sink -c`). The
difference is the time from "accepted" to "handed to the next hop": queue scheduling, the
route, the outbound connection and its SMTP dialogue. Reported: the median, the minimum and
the maximum of `--count` messages (default 20), for a private Postfix (`relayhost`) and for
every Portcullis binary given (route `"*"` to the sink), side by side on the same machine.

A random pause of 100 to 300 ms separates two messages, so the server is idle when each one
arrives and a periodic queue scan (if any) meets it at a random phase.

Run as root (a private Postfix master and `smtp-sink -u postfix` need it), through
Benchmarks/delivery-latency.sh:

    Benchmarks/delivery-latency.sh --portcullis before=/path/to/old/portcullis \\
                                   --portcullis after=.build-release/release/portcullis
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .portcullis import PortcullisInstance, PortcullisPorts
from .ports import free_ports
from .relay import HELO, RECIPIENT, SENDER
from .servers import BenchServer, PortcullisServer, PostfixServer
from .sink import SmtpSink

REPO = Path(__file__).resolve().parents[2]


class Dialog:
    """A minimal SMTP client on a raw socket: the 250 after DATA is timed where it is read."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending = b""

    def reply(self) -> tuple[int, float]:
        """Reads one (possibly multiline) reply; returns its code and when its last line arrived."""
        while True:
            while b"\r\n" not in self.pending:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise RuntimeError("the server closed the connection")
                self.pending += chunk
            line, self.pending = self.pending.split(b"\r\n", 1)
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), time.monotonic()

    def command(self, text: str, expect: int) -> float:
        self.sock.sendall(text.encode("ascii") + b"\r\n")
        code, at = self.reply()
        if code != expect:
            raise RuntimeError(f"{text.split()[0]}: expected {expect}, got {code}")
        return at

    def close(self) -> None:
        try:
            self.command("QUIT", 221)
        finally:
            self.sock.close()


def one_message(port: int, number: int) -> float:
    """Sends one message; returns the monotonic time of the 250 reply to its end of DATA."""
    dialog = Dialog(port)
    try:
        code, _ = dialog.reply()
        if code != 220:
            raise RuntimeError(f"greeting {code}")
        dialog.command(f"EHLO {HELO}", 250)
        dialog.command(f"MAIL FROM:<{SENDER}>", 250)
        dialog.command(f"RCPT TO:<{RECIPIENT}>", 250)
        dialog.command("DATA", 354)
        body = (f"From: <{SENDER}>\r\nTo: <{RECIPIENT}>\r\nSubject: latency {number}\r\n"
                f"Message-ID: <latency-{number}-{os.getpid()}@{HELO}>\r\n\r\n" + "x" * 70 + "\r\n")
        accepted = dialog.command(body + ".", 250)
    finally:
        dialog.close()
    return accepted


def measure(server: BenchServer, count: int, log) -> list[float]:
    """`count` latencies in milliseconds, one message at a time, on a fresh instance."""
    sink = server.sink
    server.start()
    try:
        time.sleep(1.0)   # let start-up work (recovery, first scan) finish: the server is idle
        latencies = []
        for number in range(count):
            expected = sink.messages + 1
            accepted = one_message(server.smtp_port, number)
            arrived = sink.arrival_of(expected, timeout=30)
            if arrived is None:
                raise RuntimeError(f"{server.name}: message {number} did not reach the sink within 30 s")
            latencies.append((arrived - accepted) * 1000)
            time.sleep(random.uniform(0.1, 0.3))
        return latencies
    finally:
        server.stop()
        server.remove()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portbench.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--portcullis", action="append", default=[], metavar="LABEL=BINARY",
                        help="a Portcullis binary to measure, with its label (repeatable)")
    parser.add_argument("--count", type=int, default=20, help="messages per server (default 20)")
    parser.add_argument("--no-postfix", action="store_true", help="measure only Portcullis")
    args = parser.parse_args(argv)
    # Both timestamps are taken by Python threads (the client's, the sink reader's): switch
    # between them often, so that neither waits long for the interpreter lock.
    sys.setswitchinterval(0.0002)
    if os.geteuid() != 0:
        print("run as root: Postfix's master and smtp-sink -u postfix need it", file=sys.stderr)
        return 2
    binaries = []
    for item in args.portcullis or [f"portcullis={REPO / '.build-release/release/portcullis'}"]:
        label, _, path = item.partition("=")
        binaries.append((label, Path(path).resolve()))
    work = Path(tempfile.mkdtemp(prefix="portcullis-latency.", dir="/var/tmp"))
    work.chmod(0o755)   # Postfix daemons (user postfix) traverse into their queue below it
    log = lambda text: print(text, flush=True)
    results: list[tuple[str, list[float]]] = []
    (pf_smtp, pc_smtp, pc_sub, pc_subs, pc_web, pf_sink_port, pc_sink_port) = free_ports(7)
    sinks = [SmtpSink(pf_sink_port, work, "sink-postfix"), SmtpSink(pc_sink_port, work, "sink-portcullis")]
    try:
        for sink in sinks:
            sink.start()
        servers: list[tuple[str, BenchServer]] = []
        if not args.no_postfix:
            servers.append(("postfix", PostfixServer(work / "postfix", pf_smtp, None, sinks[0], None, [])))
        for label, binary in binaries:
            template = work / f"template-{label}"
            PortcullisInstance.make_template(binary, template, [])
            ports = PortcullisPorts(pc_smtp, pc_sub, pc_subs, pc_web, pc_sink_port)
            servers.append((f"portcullis ({label})", PortcullisServer(binary, work / f"portcullis-{label}", ports,
                                                                      template, sinks[1])))
        for name, server in servers:
            log(f"{name}: {args.count} messages, one at a time")
            latencies = measure(server, args.count, log)
            results.append((name, latencies))
            log(f"  median {statistics.median(latencies):.2f} ms (min {min(latencies):.2f}, max {max(latencies):.2f})")
    finally:
        for sink in sinks:
            sink.stop()
    print(f"\n| server | median | min | max |  (250 after DATA → smtp-sink has it, ms, {args.count} messages)")
    print("|---|---:|---:|---:|")
    for name, latencies in results:
        print(f"| {name} | {statistics.median(latencies):.2f} | {min(latencies):.2f} | {max(latencies):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
