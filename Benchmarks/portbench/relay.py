"""The relay matrix: smtp-source -> server (port-25 service) -> smtp-sink, for both servers.

For each point (sessions x message size) and each of the runs, the two servers take turns
(Postfix first on odd runs, Portcullis first on even ones, so neither always runs on the warmer
or quieter machine). Every run uses a fresh server instance:

1. start the server; a short warm-up at the same concurrency (processes spawned, caches filled),
   waited for at the sink when the server delivers;
2. read the server's CPU ticks; start the memory sampler; note the sink's count;
3. `smtp-source -s S -m N -l SIZE`: one message per connection (smtp-source's default, and what a
   subscriber's client does), HELO, MAIL, RCPT, DATA, QUIT. Its wall time gives "accepted/s";
   it exits non-zero on any unexpected reply, which fails the run;
4. wait until the sink has counted all N, then until its dumps hold N *distinct* messages (a
   message delivered twice counts once; see sink.py): "end-to-end/s" runs from the start of
   step 3 to the arrival of the N-th distinct message (the mtime of its dump file) or the end
   of step 3, whichever is later; the duplicates are reported;
5. CPU seconds from step 2 to the end of step 4 (or of step 3 when the server does not deliver),
   and the peak memory: PSS summed over the server's processes (shared pages divided among the
   processes that map them, so the sum is the server's real share), and the sum of each
   process's VmHWM (its peak RSS), which counts shared pages once per process;
6. stop the server and remove its directory.

The ceiling: in each run, before the servers, the same `smtp-source` command goes straight
into the smtp-sink the servers deliver to (dumping every message, as for the servers) and into
a second smtp-sink that only counts. No server is in between, so this is what the load
generator, the sink and the kernel's loopback TCP manage on this machine at that point; every
server figure is also reported as a fraction of the first.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field

from . import procfs
from .servers import BenchServer, settle_filesystem
from .sink import DumpCount, SmtpSink

SENDER = "sender@alato.example"
RECIPIENT = "rcpt@example.net"
HELO = "client.alato.example"


@dataclass(frozen=True)
class Point:
    sessions: int
    size: int          # payload bytes (smtp-source -l), headers not included

    @property
    def label(self) -> str:
        return f"{self.sessions} x {self.size // 1024} KiB"


@dataclass
class Measurement:
    server: str
    sessions: int
    size: int
    run: int
    messages: int
    accept_seconds: float
    e2e_seconds: float | None
    cpu_seconds: float
    cpu_includes_delivery: bool
    peak_hwm_kib: int
    peak_pss_kib: int
    peak_processes: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    spooled_after: int | None = None
    error: str | None = None
    delivered: int | None = None        # transactions the sink received (dumped)
    duplicates: int | None = None       # of those, second or later deliveries of a message

    @property
    def accept_rate(self) -> float:
        return self.messages / self.accept_seconds if self.accept_seconds > 0 else 0.0

    @property
    def e2e_rate(self) -> float | None:
        if self.e2e_seconds is None or self.e2e_seconds <= 0:
            return None
        return self.messages / self.e2e_seconds

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu_seconds * 1000 / self.messages if self.messages else 0.0

    def to_json(self) -> dict:
        record = asdict(self)
        record.update(accept_rate=self.accept_rate, e2e_rate=self.e2e_rate, cpu_per_1000=self.cpu_per_1000)
        return record


@dataclass
class Summary:
    """Medians over the runs of one server at one point."""
    server: str
    point: Point
    runs: int
    accept_rate: float
    e2e_rate: float | None
    peak_hwm_kib: int
    peak_pss_kib: int
    cpu_per_1000: float
    cpu_includes_delivery: bool
    failures: list[str] = field(default_factory=list)
    duplicates: int = 0                 # over all good runs
    peak_processes: int = 0


def smtp_source(port: int, sessions: int, messages: int, size: int, timeout: float) -> tuple[float, str | None]:
    """Runs smtp-source; returns its wall time and an error text (None when every reply was 2xx/3xx)."""
    command = ["smtp-source", "-s", str(sessions), "-m", str(messages), "-l", str(size),
               "-M", HELO, "-f", SENDER, "-t", RECIPIENT, f"127.0.0.1:{port}"]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate(timeout=10)
        return time.monotonic() - started, f"smtp-source did not finish within {timeout:.0f} s"
    elapsed = time.monotonic() - started
    if process.returncode != 0:
        text = output.decode(errors="replace").strip().splitlines()
        return elapsed, f"smtp-source exited {process.returncode}: {' | '.join(text[-3:])}"
    return elapsed, None


CEILING = "ceiling"                  # smtp-source → the servers' smtp-sink (dumping), no server
CEILING_COUNTING = "ceiling-counting-sink"   # smtp-source → an smtp-sink that only counts


def wait_for_distinct(sink: SmtpSink, count: int, started_wall: float, timeout: float,
                      idle_timeout: float) -> tuple[float | None, DumpCount]:
    """After the sink's counter reached `count` deliveries: waits until its dumps hold `count`
    distinct messages. Returns the seconds from `started_wall` (time.time()) to the arrival of
    the `count`-th distinct message (None if they never all came) and the last count."""
    deadline = time.monotonic() + timeout
    last_change, last_files = time.monotonic(), -1
    while True:
        found = sink.distinct()
        if found.distinct >= count:
            return found.first_arrivals[count - 1] - started_wall, found
        now = time.monotonic()
        if found.files != last_files:
            last_files, last_change = found.files, now
        if now >= deadline or now - last_change >= idle_timeout:
            return None, found
        time.sleep(0.5)


class RelayBench:
    """Runs the matrix; `delivers[name]` is learnt from the first warm-up of each server.

    With `ceiling` (the servers' dumping sink and a counting one), each run of each point
    starts with the two ceiling measurements."""

    def __init__(self, servers: list[BenchServer], messages: int, runs: int, settle: float = 65.0,
                 log=print, ceiling: tuple[SmtpSink, SmtpSink] | None = None) -> None:
        self.ceiling = ceiling
        self.servers = servers
        self.messages = messages
        self.runs = runs
        self.settle = settle
        self.log = log
        self.delivers: dict[str, bool] = {}
        self.measurements: list[Measurement] = []

    def send(self, port: int, point: Point, messages: int, timeout: float) -> tuple[float, str | None]:
        """The load of a run or warm-up: its wall time and an error text (None when all went well)."""
        return smtp_source(port, point.sessions, messages, point.size, timeout)

    def warm_up(self, server: BenchServer, point: Point) -> None:
        count = max(20, min(200, self.messages // 10))
        base = server.sink.messages
        _, error = self.send(server.smtp_port, point, count, timeout=300)
        if error:
            raise RuntimeError(f"{server.name} warm-up failed: {error}")
        if self.delivers.get(server.name, True):
            # The first time, this also finds out whether the server delivers at all.
            delivered = server.sink.wait_for(base + count, timeout=120, idle_timeout=30)
            if server.name not in self.delivers:
                self.delivers[server.name] = delivered
                if not delivered:
                    self.log(f"  {server.name}: warm-up messages never reached the sink; "
                             f"end-to-end will be n/a for {server.name}")
            elif not delivered:
                raise RuntimeError(f"{server.name} did not deliver its warm-up messages")

    def measure(self, server: BenchServer, point: Point, run: int) -> Measurement:
        settle_filesystem(self.settle)
        root = server.start()
        try:
            self.warm_up(server, point)
            delivers = self.delivers[server.name]
            load_before = procfs.loadavg()
            sampler = procfs.MemorySampler(root).start()
            cpu_start = procfs.cpu_seconds(root)
            server.sink.clear_dumps()   # the warm-up's messages have all arrived (or never will)
            base = server.sink.messages
            timeout = 120 + self.messages / 20
            started_wall = time.time()
            accept_seconds, error = self.send(server.smtp_port, point, self.messages, timeout)
            cpu_accept = procfs.cpu_seconds(root)
            e2e_seconds = None
            delivered = duplicates = None
            if delivers and error is None:
                if server.sink.wait_for(base + self.messages, timeout=timeout, idle_timeout=60):
                    e2e_seconds, found = wait_for_distinct(server.sink, self.messages, started_wall,
                                                           timeout=timeout, idle_timeout=60)
                    delivered, duplicates = found.files, found.duplicates
                    if e2e_seconds is not None:
                        # The last message may reach the sink before smtp-source has read its
                        # last reply and exited; end to end ends when both are done.
                        e2e_seconds = max(e2e_seconds, accept_seconds)
                    else:
                        error = (f"the sink holds {found.distinct} distinct messages of {self.messages} "
                                 f"({found.files} deliveries)")
                else:
                    error = f"the sink counted {server.sink.messages - base} of {self.messages}"
            cpu_end = procfs.cpu_seconds(root) if delivers else cpu_accept
            peaks = sampler.stop()
            return Measurement(
                server=server.name, sessions=point.sessions, size=point.size, run=run, messages=self.messages,
                accept_seconds=accept_seconds, e2e_seconds=e2e_seconds, cpu_seconds=cpu_end - cpu_start,
                cpu_includes_delivery=delivers, peak_hwm_kib=peaks.hwm_kib, peak_pss_kib=peaks.pss_kib,
                peak_processes=peaks.processes, load_before=load_before, load_after=procfs.loadavg(),
                spooled_after=server.spooled(), error=error, delivered=delivered, duplicates=duplicates)
        finally:
            server.stop()
            server.remove()
            server.sink.clear_dumps()

    def measure_ceiling(self, sink: SmtpSink, name: str, point: Point, run: int) -> Measurement:
        """smtp-source straight into `sink`: the same command as for the servers, no server.

        Only files are counted here, not distinct messages: without a server's Received header
        smtp-source's messages are not all distinct (see sink.py). CPU is the sink's own."""
        settle_filesystem(min(self.settle, 10.0))   # nothing of this touches the disk but the sink's tmpfs
        assert sink.pid is not None
        sink.clear_dumps()
        load_before = procfs.loadavg()
        cpu_start = procfs.cpu_seconds(sink.pid)
        base = sink.messages
        timeout = 120 + self.messages / 20
        seconds, error = self.send(sink.port, point, self.messages, timeout)
        if error is None and not sink.wait_for(base + self.messages, timeout=30, idle_timeout=10):
            error = f"the sink counted {sink.messages - base} of {self.messages}"
        delivered = sink.distinct().files if sink.dump_dir is not None else None
        cpu = procfs.cpu_seconds(sink.pid) - cpu_start
        sink.clear_dumps()
        return Measurement(
            server=name, sessions=point.sessions, size=point.size, run=run, messages=self.messages,
            accept_seconds=seconds, e2e_seconds=seconds if error is None else None, cpu_seconds=cpu,
            cpu_includes_delivery=False, peak_hwm_kib=0, peak_pss_kib=0, peak_processes=1,
            load_before=load_before, load_after=procfs.loadavg(), error=error, delivered=delivered)

    def run(self, points: list[Point]) -> list[Summary]:
        summaries = []
        for point in points:
            for run in range(1, self.runs + 1):
                if self.ceiling is not None:
                    for sink, name in zip(self.ceiling, (CEILING, CEILING_COUNTING)):
                        measurement = self.measure_ceiling(sink, name, point, run)
                        self.measurements.append(measurement)
                        self.log(f"  {point.label:>14} run {run} {name:<10} {measurement.accept_rate:7.0f}/s "
                                 f"sink cpu {measurement.cpu_per_1000:5.2f} s/1k load {measurement.load_before[0]:.1f}"
                                 + (f"  ERROR {measurement.error}" if measurement.error else ""))
                order = self.servers if run % 2 == 1 else list(reversed(self.servers))
                for server in order:
                    try:
                        measurement = self.measure(server, point, run)
                    except Exception as error:  # one broken run is reported, the rest still runs
                        measurement = Measurement(
                            server=server.name, sessions=point.sessions, size=point.size, run=run,
                            messages=self.messages, accept_seconds=0.0, e2e_seconds=None, cpu_seconds=0.0,
                            cpu_includes_delivery=False, peak_hwm_kib=0, peak_pss_kib=0, peak_processes=0,
                            load_before=procfs.loadavg(), load_after=procfs.loadavg(), error=str(error))
                    self.measurements.append(measurement)
                    e2e = f"{measurement.e2e_rate:7.0f}/s" if measurement.e2e_rate else "    n/a"
                    self.log(f"  {point.label:>14} run {run} {server.name:<10} accepted {measurement.accept_rate:7.0f}/s "
                             f"e2e {e2e} cpu {measurement.cpu_per_1000:5.2f} s/1k "
                             f"peak PSS {measurement.peak_pss_kib / 1024:6.1f} MiB "
                             f"(Σ VmHWM {measurement.peak_hwm_kib / 1024:6.1f}) "
                             f"load {measurement.load_before[0]:.1f}"
                             + (f" duplicates {measurement.duplicates}" if measurement.duplicates else "")
                             + (f"  ERROR {measurement.error}" if measurement.error else ""))
            names = [CEILING, CEILING_COUNTING] if self.ceiling is not None else []
            for name in names + [server.name for server in self.servers]:
                summaries.append(self.summarise(name, point))
        return summaries

    def summarise(self, name: str, point: Point) -> Summary:
        rows = [m for m in self.measurements if m.server == name and m.sessions == point.sessions and m.size == point.size]
        good = [m for m in rows if m.error is None]
        failures = [m.error for m in rows if m.error]
        if not good:
            return Summary(name, point, 0, 0.0, None, 0, 0, 0.0, False, failures)
        e2e = [m.e2e_rate for m in good if m.e2e_rate is not None]
        return Summary(
            server=name, point=point, runs=len(good),
            accept_rate=statistics.median(m.accept_rate for m in good),
            e2e_rate=statistics.median(e2e) if len(e2e) == len(good) else None,
            peak_hwm_kib=int(statistics.median(m.peak_hwm_kib for m in good)),
            peak_pss_kib=int(statistics.median(m.peak_pss_kib for m in good)),
            cpu_per_1000=statistics.median(m.cpu_per_1000 for m in good),
            cpu_includes_delivery=all(m.cpu_includes_delivery for m in good),
            failures=failures, duplicates=sum(m.duplicates or 0 for m in good),
            peak_processes=int(statistics.median(m.peak_processes for m in good)))
