"""Which submission load generator runs: portcullis-loadgen (Swift, SwiftNIO) when it is built,
else the Python asyncio one in submission.py.

Both take the same options, follow the same method (submission.py's docstring) and return the
same figures, so every table reads them alike. The Swift one costs several times less client CPU
per message: on this 2-core machine the Python generator saturates near 500 messages/s against
Postfix and Portcullis alike, which measures the client, not the servers. submission.py stays
as the fallback and as the reference for the method.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from .submission import CONNECT_TIMEOUT, LoadSpec, run_load

SWIFT = "portcullis-loadgen"
PYTHON = "submission.py"


@dataclass(frozen=True)
class Generator:
    name: str                 # SWIFT or PYTHON, recorded with every result
    workers: int              # event-loop threads (Swift) or worker processes (Python)
    binary: Path | None = None

    @property
    def description(self) -> str:
        if self.name == SWIFT:
            return f"{SWIFT} (Swift, SwiftNIO + swift-nio-ssl, {self.workers} event-loop thread(s))"
        return f"{PYTHON} (Python asyncio, {self.workers} worker process(es))"

    def run(self, spec: LoadSpec) -> dict:
        result = _run_swift(self.binary, spec, self.workers) if self.binary else run_load(replace(spec, processes=self.workers))
        result["generator"] = self.name
        return result


def choose(mode: str, binary: Path, threads: int, processes: int, log) -> list[Generator]:
    """The generators to run, the first being the one for paced runs and profiles.

    mode: "auto" (Swift if built, else Python), "swift", "python", or "both" (unpaced runs with
    each, to compare the generators in the same run).
    """
    swift = Generator(SWIFT, threads, binary) if binary.is_file() and os.access(binary, os.X_OK) else None
    python = Generator(PYTHON, processes)
    if mode == "python":
        return [python]
    if swift is None:
        if mode in ("swift", "both"):
            raise SystemExit(f"--loadgen {mode}: no executable {SWIFT} at {binary}; build it with "
                             f"swift build -c release --product {SWIFT} --scratch-path .build-release")
        log(f"  no {SWIFT} at {binary}: the Python generator runs (its client CPU may cap the rate)")
        return [python]
    return [swift, python] if mode == "both" else [swift]


def _run_swift(binary: Path, spec: LoadSpec, threads: int) -> dict:
    # Same budget as run_load: set-up, then a generous rate floor, plus the paced duration.
    budget = (CONNECT_TIMEOUT + 180 + spec.sessions * spec.messages / 10
              + (spec.messages * spec.sessions / spec.rate if spec.rate else 0))
    with tempfile.TemporaryDirectory(prefix="loadgen.") as scratch:
        password_file = Path(scratch) / "password"
        password_file.touch(mode=0o600)
        password_file.write_text(spec.password + "\n", encoding="utf-8")
        command = [str(binary), "--host", spec.host, "--port", str(spec.port), "--user", spec.user,
                   "--password-file", str(password_file), "--sender", spec.sender, "--recipient", spec.recipient,
                   "--sessions", str(spec.sessions), "--messages", str(spec.messages), "--size", str(spec.size),
                   "--rate", str(spec.rate), "--helo", spec.helo, "--threads", str(threads)]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=budget)
    # Exit status 1 means "some sessions failed": the JSON still holds the figures and the errors.
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"{SWIFT} exited with {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    try:
        return json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(f"{SWIFT} printed no JSON ({error}): {completed.stdout[-500:]!r} "
                           f"{completed.stderr.strip()[-1000:]}") from None
