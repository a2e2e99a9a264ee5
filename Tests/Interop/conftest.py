"""Fixtures for the interop suite: one shared Portcullis server, started once per session.

Run from the repository root:
    PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from interop_harness import (
    ARTIFACTS,
    PortcullisServer,
    ServerError,
    portcullis_binary,
)

# A scenario that hangs is a failure, not a stuck CI job. Every socket read already has a
# timeout; this is the outer bound (SIGALRM, main thread) for anything that slips through.
SCENARIO_TIME_LIMIT = 240

_HERE = Path(__file__).resolve().parent


def _ours(item: pytest.Item) -> bool:
    # Only the scenarios in this directory: subdirectories (op25b/, dkim/) are other suites
    # with their own set-up and limits.
    return Path(str(item.fspath)).resolve().parent == _HERE


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if not _ours(item):
        yield
        return

    def expired(signum, frame):
        raise TimeoutError(f"scenario exceeded {SCENARIO_TIME_LIMIT}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(SCENARIO_TIME_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def portcullis_bin() -> Path:
    """The built CLI; the suite fails (not skips) when it is missing or cannot run."""
    binary = portcullis_binary()
    if not binary.is_file():
        pytest.fail(f"no portcullis binary at {binary}: build it (swift build) or set PORTCULLIS_BIN")
    try:
        result = subprocess.run([str(binary), "serve", "--help"], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{binary} serve --help` did not finish within 60s")
    if result.returncode != 0:
        pytest.fail(f"`{binary} serve --help` exited {result.returncode}: {result.stderr}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return binary


def _started(name: str, binary: Path) -> PortcullisServer:
    server = PortcullisServer(name, binary)
    try:
        server.initialise()
        server.provision()
        server.start()
    except ServerError as error:
        server.stop()
        pytest.fail(str(error))
    return server


@pytest.fixture(scope="session")
def server(portcullis_bin: Path):
    """The shared server: hosted domains alato.example and virtual.example, accounts
    taro@alato.example and jiro@virtual.example, disabled hanako@alato.example, alias
    info@alato.example -> taro; access network 127.0.0.1/32 only."""
    instance = _started("shared", portcullis_bin)
    yield instance
    instance.stop()


@pytest.fixture
def fresh_server(portcullis_bin: Path, request: pytest.FixtureRequest):
    """A private server for scenarios that kill or restart it."""
    instance = _started(request.node.name.replace("/", "_")[:60], portcullis_bin)
    yield instance
    instance.stop()


@pytest.fixture
def queue_guard(server: PortcullisServer):
    """The queue IDs before a negative scenario; `assert_nothing_queued()` compares after it."""

    class Guard:
        before = set(server.queue_ids())

        def new_ids(self) -> set[str]:
            return set(server.queue_ids()) - self.before

        def assert_nothing_queued(self, what: str = "") -> None:
            new = self.new_ids()
            shown = "\n".join(f"--- queue show {qid} ---\n{server.queue_show(qid)}" for qid in sorted(new))
            assert not new, f"{what or 'the scenario'} queued {len(new)} message(s): {sorted(new)}\n{shown}"

    return Guard()
