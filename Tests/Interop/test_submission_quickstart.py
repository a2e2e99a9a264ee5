"""The quick start as a new user would do it: `portcullis serve` with no arguments creates
./portcullis-data and listens on the embedded default ports (DESIGN.md: 2525, 2587, 2465);
`domain add` and `user add --password-stdin` without --data-dir; then swaks on 127.0.0.1:2587
(STARTTLS, AUTH PLAIN) and 127.0.0.1:2465 (--tlsc) both get `250 2.0.0 Ok: queued as ...` and
the messages are in the spool.

The embedded ports are fixed, so this scenario needs them free; when another process holds one,
it fails and names the ports: a skip would let the README's own quick start go unchecked.
(scripts/test-on-clean-debian runs the suite in its own network namespace, where they are free.)
"""

from __future__ import annotations

import re
import socket
import subprocess

import pytest

from interop_harness import INSIDE, TARO, PortcullisServer, ServerError, require_peer, unique_marker

EMBEDDED_PORTS = {"port-25 service": 2525, "submission": 2587, "submissions": 2465}
QUEUED = re.compile(r"250 2\.0\.0 Ok: queued as (\S+)")


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((INSIDE, port))
        except OSError:
            return True
    return False


@pytest.fixture
def embedded(portcullis_bin):
    busy = [f"{name} {port}" for name, port in EMBEDDED_PORTS.items() if port_in_use(port)]
    if busy:
        pytest.fail(f"quick start needs the embedded default ports free; in use here: {', '.join(busy)}")
    server = PortcullisServer("quickstart", portcullis_bin, embedded_default=True)
    server.root.mkdir(parents=True, exist_ok=True)
    try:
        server.start()
    except ServerError as error:
        server.stop()
        pytest.fail(str(error))
    yield server
    server.stop()


def swaks(server: PortcullisServer, port: int, marker: str, *tls: str) -> str:
    command = [require_peer("swaks"), "--server", f"{INSIDE}:{port}", "--timeout", "60", *tls,
               "--auth", "PLAIN", "--auth-user", TARO.address, "--auth-password", TARO.password,
               "--from", TARO.address, "--to", "friend@example.net",
               "--header", f"Subject: quick start {marker}", "--body", f"Marker: {marker}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    with open(server.root / "client-swaks.log", "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n{output}\n[exit {result.returncode}]\n\n")
    assert result.returncode == 0, f"swaks exited {result.returncode}\n{output}"
    ids = QUEUED.findall(output)
    assert len(ids) == 1, f"no `250 2.0.0 Ok: queued as ID` from swaks on port {port}\n{output}"
    return ids[0]


def test_quick_start_on_the_embedded_default(embedded):
    server = embedded
    assert (server.data_dir / "portcullis.toml").is_file(), "serve with no arguments did not create ./portcullis-data"
    for required in ("tls/cert.pem", "tls/key.pem"):
        assert (server.data_dir / required).is_file(), f"./portcullis-data/{required} missing"
    said = "".join(server.stdout_lines)
    for port in EMBEDDED_PORTS.values():
        assert f"{INSIDE}:{port}" in said, f"serve did not say it listens on {INSIDE}:{port}:\n{said}"
    assert "user add" in said, f"serve did not say how to add a user:\n{said}"

    server.cli("domain", "add", "alato.example")
    server.cli("user", "add", TARO.address, "--password-stdin", input=TARO.password + "\n")
    # Delivery paused, so what `queue list` shows does not depend on what this machine's DNS
    # answers for example.net (a fast NXDOMAIN would bounce the messages before the listing).
    server.cli("queue", "pause")

    on_587 = swaks(server, EMBEDDED_PORTS["submission"], unique_marker("quick-587"), "-tls")
    on_465 = swaks(server, EMBEDDED_PORTS["submissions"], unique_marker("quick-465"), "--tlsc")
    ids = server.queue_ids()
    assert on_587 in ids and on_465 in ids, f"queued {on_587}, {on_465}; `queue list`: {ids}"
