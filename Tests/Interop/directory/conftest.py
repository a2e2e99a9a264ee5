"""The PostgreSQL directory scenarios: the interop harness from the parent directory, and one
private PostgreSQL server for the module, stopped by PID at the end."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interop_harness import ARTIFACTS, portcullis_binary  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402


@pytest.fixture(scope="module")
def portcullis_bin() -> Path:
    binary = portcullis_binary()
    if not binary.is_file():
        pytest.fail(f"no portcullis binary at {binary}: build it (swift build) or set PORTCULLIS_BIN")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return binary


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer(ARTIFACTS)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()
