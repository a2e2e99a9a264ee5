"""`/healthz` and `/readyz` on the customer web listener, from the real server.

Ready: every listener accepting, the spool writable with `[spool] min_free_space` free, the
directory answering; otherwise 503 with a JSON body naming the failing check (the reason only on
the operators' metrics listener, Tests/Interop/metrics). (The directory going
away is shown in Tests/Interop/cluster: PostgreSQL paused.)

Run: PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/test_health.py
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from interop_harness import INSIDE, PortcullisServer, ServerError, portcullis_binary


class StarvedSpool(PortcullisServer):
    """A server whose spool can never have enough free space."""

    def config_text(self, access_prefixes):
        return super().config_text(access_prefixes) + "\n[spool]\nmin_free_space = 1000000000000000\n"


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://{INSIDE}:{port}{path}", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def started(request):
    servers = []

    def start(kind):
        server = kind(f"health-{len(servers)}", portcullis_binary())
        servers.append(server)
        try:
            server.initialise()
            server.start()
        except ServerError as error:
            pytest.fail(str(error))
        return server

    yield start
    for server in servers:
        server.stop()


def test_a_working_server_is_alive_and_ready(started):
    server = started(PortcullisServer)
    assert get(server.web_port, "/healthz") == (200, "ok\n")
    status, body = get(server.web_port, "/readyz")
    assert status == 200, body
    assert json.loads(body) == {"ready": True, "checks": {"listeners": "ok", "spool": "ok", "directory": "ok"}}


def test_a_spool_without_room_is_not_ready_and_says_so(started):
    server = started(StarvedSpool)
    assert get(server.web_port, "/healthz")[0] == 200
    status, body = get(server.web_port, "/readyz")
    assert status == 503, body
    report = json.loads(body)
    assert report["ready"] is False
    # The customer web is public: it names the failing check, never the path or the reason.
    assert report["checks"]["spool"] == "failing"
    assert str(server.data_dir) not in body
    assert report["checks"]["directory"] == "ok" and report["checks"]["listeners"] == "ok"
