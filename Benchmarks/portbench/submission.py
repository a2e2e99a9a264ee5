"""Authenticated submission load: N sessions, each STARTTLS + AUTH PLAIN, then M messages.

    python3 -m portbench.submission --port 2587 --user taro@alato.example --password-file F \\
        --sessions 20 --messages 100 [--rate 500] [--processes 2]

What is measured:
- messages/s over the message phase: every session first connects, reads the banner, EHLO,
  STARTTLS (RFC 3207), EHLO again and AUTH PLAIN (RFC 4954, RFC 4616); when all are ready
  they start together, and the phase ends when the last session has its last 250. The set-up
  time (TLS handshakes and password checks) is reported on its own;
- latency of each message from the end of DATA (the moment "<CRLF>.<CRLF>" is written) to the
  server's reply, which a durable server sends only after the message is on disk; p50 and p99;
- with `--rate R` the sessions are paced to R messages/s in total (open loop: a session that
  falls behind sends at once), to read latency at a given load rather than at saturation.

MAIL, RCPT and DATA go out in one write when the server offers PIPELINING (RFC 2920), as real
submission clients do; the message body is then written with the final dot.
Sessions can be split over several worker processes (`--processes`), since one Python process
can become the bottleneck before the server does; the client's own CPU time is reported.

portcullis-loadgen (Benchmarks/Loadgen, Swift) implements this same method with the same options
(`--threads` instead of `--processes`) and output at far less client CPU per message; portbench
runs it when it is built and falls back to this module otherwise (portbench/loadgen.py).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import multiprocessing
import resource
import ssl
import sys
import time
import uuid
from dataclasses import dataclass, field

CONNECT_TIMEOUT = 30.0
REPLY_TIMEOUT = 60.0


@dataclass
class LoadSpec:
    host: str
    port: int
    user: str
    password: str
    sender: str
    recipient: str
    sessions: int
    messages: int
    size: int = 4096
    rate: float = 0.0              # messages/s over all sessions; 0 = as fast as possible
    processes: int = 1
    helo: str = "loadgen.alato.example"


@dataclass
class SessionResult:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    setup_seconds: float = 0.0


class SMTPReplyError(Exception):
    pass


async def read_reply(reader: asyncio.StreamReader) -> tuple[int, list[str]]:
    """One (possibly multi-line) reply: RFC 5321 §4.2, "xyz-text" lines then "xyz text"."""
    lines = []
    while True:
        raw = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT)
        if not raw:
            raise SMTPReplyError("connection closed by server")
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            try:
                return int(line[:3]), lines
            except ValueError:
                raise SMTPReplyError(f"malformed reply {line!r}") from None


async def expect(reader: asyncio.StreamReader, code: int, what: str) -> list[str]:
    got, lines = await read_reply(reader)
    if got != code:
        raise SMTPReplyError(f"{what}: expected {code}, got {' / '.join(lines)}")
    return lines


def make_message(spec: LoadSpec, index: int) -> bytes:
    """A message with the headers a submission server checks (From owned by the login), padded
    with 76-character lines to about `spec.size` bytes; dot-stuffing is never needed."""
    header = (f"From: <{spec.sender}>\r\nTo: <{spec.recipient}>\r\nSubject: load {index}\r\n"
              f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
              f"Message-ID: <{uuid.uuid4().hex}@loadgen.alato.example>\r\n\r\n").encode()
    line = b"x" * 76 + b"\r\n"
    body = line * max(1, (spec.size - len(header)) // len(line))
    return header + body


def tls_context() -> ssl.SSLContext:
    # The servers use a self-signed certificate; the benchmark measures the cost of TLS,
    # not the trust decision.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def run_session(spec: LoadSpec, slot: int, go: asyncio.Event, ready: list[int], start_at: list[float],
                      result: SessionResult) -> None:
    began = time.monotonic()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(spec.host, spec.port), CONNECT_TIMEOUT)
        await expect(reader, 220, "banner")
        writer.write(f"EHLO {spec.helo}\r\n".encode())
        lines = await expect(reader, 250, "EHLO")
        if not any(line[4:].upper().startswith("STARTTLS") for line in lines):
            raise SMTPReplyError("no STARTTLS in EHLO reply")
        writer.write(b"STARTTLS\r\n")
        await expect(reader, 220, "STARTTLS")
        await writer.start_tls(tls_context())
        writer.write(f"EHLO {spec.helo}\r\n".encode())
        lines = await expect(reader, 250, "EHLO after STARTTLS")
        keywords = {line[4:].split()[0].upper() for line in lines[1:] if len(line) > 4}
        pipelining = "PIPELINING" in keywords
        token = base64.b64encode(f"\0{spec.user}\0{spec.password}".encode()).decode()
        writer.write(f"AUTH PLAIN {token}\r\n".encode())
        await expect(reader, 235, "AUTH PLAIN")
        result.setup_seconds = time.monotonic() - began
        ready[0] += 1
        await go.wait()

        interval = spec.sessions / spec.rate if spec.rate > 0 else 0.0
        offset = slot / spec.rate if spec.rate > 0 else 0.0
        envelope = [f"MAIL FROM:<{spec.sender}>\r\n".encode(), f"RCPT TO:<{spec.recipient}>\r\n".encode(), b"DATA\r\n"]
        for index in range(spec.messages):
            if interval:
                delay = start_at[0] + offset + index * interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            message = make_message(spec, index)
            if pipelining:
                writer.write(b"".join(envelope))
                await expect(reader, 250, "MAIL")
                await expect(reader, 250, "RCPT")
                await expect(reader, 354, "DATA")
            else:
                for command, code in zip(envelope, (250, 250, 354)):
                    writer.write(command)
                    await expect(reader, code, command.decode().strip())
            writer.write(message + b".\r\n")
            await writer.drain()
            sent = time.monotonic()
            await expect(reader, 250, "end of DATA")
            result.latencies.append(time.monotonic() - sent)
        writer.write(b"QUIT\r\n")
        await expect(reader, 221, "QUIT")
    except (OSError, asyncio.TimeoutError, SMTPReplyError, ssl.SSLError) as error:
        result.errors.append(f"session {slot}: {type(error).__name__}: {error}")
        if not go.is_set():
            ready[0] += 1   # a session that failed in set-up must not hold the others back
    finally:
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 5)
            except (OSError, asyncio.TimeoutError, ssl.SSLError):
                pass


async def run_slots(spec: LoadSpec, slots: list[int], ready_signal, go_signal) -> dict:
    """Runs the given session slots in this process; the go signal comes from the parent."""
    go = asyncio.Event()
    ready = [0]
    start_at = [0.0]
    results = [SessionResult() for _ in slots]
    tasks = [asyncio.create_task(run_session(spec, slot, go, ready, start_at, result))
             for slot, result in zip(slots, results)]
    deadline = time.monotonic() + CONNECT_TIMEOUT + 60
    while ready[0] < len(slots) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    ready_signal()
    start_at[0] = await asyncio.get_running_loop().run_in_executor(None, go_signal)
    go.set()
    await asyncio.gather(*tasks)
    finished = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "latencies": [lat for result in results for lat in result.latencies],
        "errors": [error for result in results for error in result.errors],
        "setup_seconds": max((result.setup_seconds for result in results), default=0.0),
        "finished": finished,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }


def _worker(spec: LoadSpec, slots: list[int], ready_queue, go_event, start_value, out_queue) -> None:
    def ready_signal():
        ready_queue.put(1)

    def go_signal() -> float:
        go_event.wait()
        return start_value.value

    out_queue.put(asyncio.run(run_slots(spec, slots, ready_signal, go_signal)))


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_load(spec: LoadSpec) -> dict:
    """Runs the load (in `spec.processes` worker processes) and returns the figures."""
    processes = max(1, min(spec.processes, spec.sessions))
    slot_sets = [list(range(i, spec.sessions, processes)) for i in range(processes)]
    context = multiprocessing.get_context("fork")
    ready_queue, out_queue = context.Queue(), context.Queue()
    go_event = context.Event()
    start_value = context.Value("d", 0.0)
    workers = [context.Process(target=_worker, args=(spec, slots, ready_queue, go_event, start_value, out_queue))
               for slots in slot_sets]
    setup_started = time.monotonic()
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            ready_queue.get(timeout=CONNECT_TIMEOUT + 120)
        setup_seconds = time.monotonic() - setup_started
        started = time.monotonic()
        start_value.value = started
        go_event.set()
        budget = 120 + spec.sessions * spec.messages / 10 + (spec.messages * spec.sessions / spec.rate if spec.rate else 0)
        parts = [out_queue.get(timeout=budget) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=10)
    latencies = sorted(lat for part in parts for lat in part["latencies"])
    finished = max(part["finished"] for part in parts)
    phase = finished - started
    return {
        "sessions": spec.sessions,
        "messages_per_session": spec.messages,
        "size": spec.size,
        "target_rate": spec.rate,
        "processes": processes,
        "messages": len(latencies),
        "errors": [error for part in parts for error in part["errors"]],
        "setup_seconds": setup_seconds,
        "phase_seconds": phase,
        "rate": len(latencies) / phase if phase > 0 else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else float("nan"),
        "client_cpu_seconds": sum(part["cpu_seconds"] for part in parts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", required=True, help="file whose first line is the password")
    parser.add_argument("--sender", help="envelope and From: address (default: --user)")
    parser.add_argument("--recipient", default="rcpt@example.net")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--messages", type=int, default=100, help="messages per session")
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--rate", type=float, default=0.0, help="total messages/s (0: unpaced)")
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args(argv)
    with open(args.password_file, encoding="utf-8") as handle:
        password = handle.readline().rstrip("\n")
    spec = LoadSpec(host=args.host, port=args.port, user=args.user, password=password,
                    sender=args.sender or args.user, recipient=args.recipient, sessions=args.sessions,
                    messages=args.messages, size=args.size, rate=args.rate, processes=args.processes)
    result = run_load(spec)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
