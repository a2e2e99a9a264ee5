"""The mixed load: 90 % of the messages 4 KiB, 9 % 100 KiB, 1 % 1 MiB, over 20 sessions,
relayed through port 25 (smtp-source → server → smtp-sink) exactly as a relay point is
(relay.py: fresh server per run, warm-up, servers alternating, end to end counts distinct
messages, the ceiling without a server first).

`smtp-source` sends one size per process, so the mix is a deterministic schedule of
`smtp-source -s 1` invocations in 20 lanes, one lane per session, all running at once:

- the message counts of the three sizes are N × 90/9/1 % (largest remainder when N is not a
  multiple of 100); they are handed out to the lanes largest first, each message to the lane
  with the least work so far (octets plus 64 KiB for each message's fixed cost), so the lanes
  finish at about the same time: with N a multiple of 2,000 every lane gets the same counts;
- within a lane, the 100 KiB messages go in runs of up to 3 and each 1 MiB message on its
  own, spread evenly through the lane's 4 KiB messages; each lane starts at a different phase
  of that pattern (lane i at (i + ½)/20 of the first gap), so the large messages of different
  lanes do not coincide, and at any moment about 90/9/1 % of the open sessions carry each size;
- each run of equal sizes is one `smtp-source -s 1 -m COUNT -l SIZE`: one message per
  connection, as in the relay matrix. A lane of 1,000 messages is about 80 invocations, so a
  lane is without a session for a process start (~1–2 ms) about 80 times in a run of tens of
  seconds.

Not chosen: three concurrent smtp-source processes (one per size, sessions split 18/2/…) do
not keep the proportions over time, as the three finish at different moments; and a
per-message random size from one generator process would need a second load generator whose
costs differ from smtp-source's in the other rows. The schedule is the same for both servers
and the ceiling, and is recorded in the JSON (sizes per lane).

The wall time of a run is from the start of the first lane to the end of the last; the spread
between the first and the last lane to finish is logged and recorded.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import asdict, dataclass

from .relay import RelayBench, Summary, Point, smtp_source, CEILING, CEILING_COUNTING

SIZES = ((4096, 90), (102400, 9), (1048576, 1))   # payload octets (smtp-source -l), percent of messages
SESSIONS = 20
LARGE_RUN = {102400: 3, 1048576: 1}                  # messages of one size per invocation between 4 KiB runs
FIXED_COST = 65536                                   # a message's fixed cost, in octets, for balancing lanes (an estimate)


@dataclass(frozen=True)
class MixPoint(Point):
    """Point.size 0 stands for the mix (SIZES) in the JSON record."""

    @property
    def label(self) -> str:
        return f"{self.sessions} x mix"


def class_counts(total: int) -> list[int]:
    """Messages of each size in SIZES for `total` messages (largest remainder)."""
    exact = [total * percent / 100 for _, percent in SIZES]
    counts = [int(x) for x in exact]
    order = sorted(range(len(SIZES)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[:total - sum(counts)]:
        counts[i] += 1
    return counts


def lane_counts(total: int, sessions: int) -> list[dict[int, int]]:
    """How many messages of each size each lane sends."""
    lanes = [{size: 0 for size, _ in SIZES} for _ in range(sessions)]
    work = [0] * sessions
    for (size, _), count in sorted(zip(SIZES, class_counts(total)), key=lambda x: -x[0][0]):
        for _ in range(count):
            lane = min(range(sessions), key=lambda i: (work[i], i))
            lanes[lane][size] += 1
            work[lane] += size + FIXED_COST
    return lanes


def lane_schedule(counts: dict[int, int], phase: float) -> list[tuple[int, int]]:
    """A lane's invocations, (size, messages) in order: the large runs spread evenly through
    the 4 KiB messages, the first at `phase` (0–1) of a gap."""
    small = SIZES[0][0]
    blocks: list[tuple[float, int, int]] = []     # (position in the lane 0–1, size, messages)
    for size, run in LARGE_RUN.items():
        count = counts.get(size, 0)
        runs = [run] * (count // run) + ([count % run] if count % run else [])
        for j, messages in enumerate(runs):
            blocks.append(((j + 0.5) / len(runs), size, messages))
    blocks.sort()
    schedule: list[tuple[int, int]] = []
    smalls, sent = counts.get(small, 0), 0
    for j, (_, size, messages) in enumerate(blocks):
        before = round(smalls * (j + phase) / len(blocks))
        if before > sent:
            schedule.append((small, before - sent))
            sent = before
        schedule.append((size, messages))
    if smalls > sent:
        schedule.append((small, smalls - sent))
    return schedule


def schedules(total: int, sessions: int = SESSIONS) -> list[list[tuple[int, int]]]:
    return [lane_schedule(counts, (lane + 0.5) / sessions)
            for lane, counts in enumerate(lane_counts(total, sessions))]


def run_schedule(port: int, lanes: list[list[tuple[int, int]]], timeout: float) -> tuple[float, str | None, list[float]]:
    """Runs every lane at once; returns the wall time until the last lane ended, the first
    error, and each lane's own wall time."""
    errors: list[str] = []
    ended = [0.0] * len(lanes)
    started = time.monotonic()
    deadline = started + timeout

    def lane(index: int) -> None:
        for size, messages in lanes[index]:
            left = deadline - time.monotonic()
            if left <= 0:
                errors.append(f"lane {index} did not finish within {timeout:.0f} s")
                break
            _, error = smtp_source(port, 1, messages, size, left)
            if error:
                errors.append(f"lane {index}: {error}")
                break
        ended[index] = time.monotonic() - started

    threads = [threading.Thread(target=lane, args=(i,), name=f"mix-lane-{i}") for i in range(len(lanes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, (errors[0] if errors else None), ended


class MixBench(RelayBench):
    """RelayBench with the mixed schedule in place of one smtp-source command."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lane_spreads: list[dict] = []

    def send(self, port: int, point: Point, messages: int, timeout: float) -> tuple[float, str | None]:
        lanes = schedules(messages, point.sessions)
        seconds, error, ended = run_schedule(port, lanes, timeout)
        if messages == self.messages:   # a measured run, not a warm-up
            self.lane_spreads.append({"port": port, "seconds": seconds, "first_lane_done": min(ended),
                                      "last_lane_done": max(ended), "median_lane": statistics.median(ended)})
            self.log(f"    mix lanes: first done at {min(ended):.1f} s, median {statistics.median(ended):.1f} s, "
                     f"last {max(ended):.1f} s")
        return seconds, error


def describe(messages: int) -> str:
    counts = class_counts(messages)
    lanes = schedules(messages)
    invocations = sum(len(lane) for lane in lanes)
    return (f"{messages} messages: " + ", ".join(f"{c} × {s // 1024} KiB" for (s, _), c in zip(SIZES, counts))
            + f"; {SESSIONS} lanes of smtp-source -s 1, {invocations} invocations in all")


def table(summaries: list[Summary]) -> str:
    """One row per server and the two ceilings: medians of the runs."""
    by_name = {s.server: s for s in summaries}
    pf, ceiling = by_name.get("postfix"), by_name.get(CEILING)

    def num(value, fmt="{:.0f}"):
        return "n/a" if value is None else fmt.format(value)

    lines = ["| | accepted/s | e2e/s | e2e × Postfix | accepted × Postfix | CPU s/1k msgs | peak PSS MiB "
             "| duplicates | e2e ÷ ceiling | runs |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for name in (CEILING, CEILING_COUNTING, "postfix", "portcullis"):
        s = by_name.get(name)
        if s is None:
            continue
        for failure in s.failures[:1]:
            notes.append(f"- {name}: {len(s.failures)} failed run(s): {failure}")
        if not s.runs:
            lines.append(f"| {name} | failed | | | | | | | | 0 |")
            continue
        server = name not in (CEILING, CEILING_COUNTING)
        e2e_ratio = (s.e2e_rate / pf.e2e_rate if server and s.e2e_rate and pf and pf.runs and pf.e2e_rate else None)
        acc_ratio = (s.accept_rate / pf.accept_rate if server and pf and pf.runs and pf.accept_rate else None)
        of_ceiling = (s.e2e_rate / ceiling.accept_rate
                      if server and s.e2e_rate and ceiling and ceiling.runs and ceiling.accept_rate else None)
        lines.append(f"| {name} | {s.accept_rate:.0f} | {num(s.e2e_rate)} | {num(e2e_ratio, '{:.2f}')} | "
                     f"{num(acc_ratio, '{:.2f}')} | {s.cpu_per_1000:.2f} | "
                     f"{num(s.peak_pss_kib / 1024 if server else None, '{:.1f}')} | "
                     f"{s.duplicates if server else ''} | {num(of_ceiling, '{:.2f}')} | {s.runs} |")
    text = "\n".join(lines) + "\n"
    if notes:
        text += "\n" + "\n".join(notes) + "\n"
    return text


def run_section(servers, ceiling, messages: int, runs: int, settle: float, log) -> tuple[dict, str]:
    """The mix for both servers, with the ceiling rows: (JSON record, summary.md text)."""
    point = MixPoint(SESSIONS, 0)
    log(f"mix: {describe(messages)}; {runs} runs, servers alternating")
    bench = MixBench(servers, messages, runs, settle=settle, log=log, ceiling=ceiling)
    summaries = bench.run([point])
    record = {"schedule": describe(messages), "lanes": schedules(messages),
              "measurements": [m.to_json() for m in bench.measurements],
              "lane_spreads": bench.lane_spreads,
              "summaries": [dict(asdict(s), point={"sessions": s.point.sessions, "size": "mix"}) for s in summaries]}
    text = (f"\n## Mixed load: 90 % 4 KiB, 9 % 100 KiB, 1 % 1 MiB, {SESSIONS} sessions, smtp-source → server → "
            f"smtp-sink ({messages} messages, medians of {runs})\n\n"
            f"Schedule: {describe(messages)} (portbench/mix.py). Ceiling rows: the same schedule straight into the "
            "sinks, no server; their CPU is the sink's. e2e ÷ ceiling: a server's end-to-end rate as a fraction "
            "of the dumping sink's ceiling.\n\n" + table(summaries))
    return record, text
