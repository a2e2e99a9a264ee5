"""The systemd unit in contrib/systemd, and what `serve` does for it.

systemd is not PID 1 on the test machine, so the unit is checked with `systemd-analyze verify`
(and its exposure score read), and what the unit relies on is run for real: the readiness
protocol (`Type=notify`: READY=1 once listening, RELOADING=1/READY=1 around SIGHUP, STOPPING=1
at SIGTERM) read from a datagram socket given as $NOTIFY_SOCKET, and the privilege model
(`User=` an unprivileged user, `AmbientCapabilities=CAP_NET_BIND_SERVICE` only) reproduced with
setpriv: the server binds a port below 1024 as `nobody` with that one capability.

Run: PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/test_systemd.py
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from interop_harness import INSIDE, REPO, PortcullisServer, portcullis_binary, require_peer, wait_until
from smtp_dialog import SMTPDialog

UNIT = REPO / "contrib" / "systemd" / "portcullis.service"


def test_the_unit_is_accepted_by_systemd_analyze(tmp_path):
    require_peer("systemd-analyze")
    unit = tmp_path / "portcullis.service"
    # verify checks that ExecStart's program exists: point it at the binary under test.
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/portcullis", str(portcullis_binary())))
    verified = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    security = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(unit)],
                              capture_output=True, text=True, timeout=60)
    score = re.search(r"Overall exposure level for portcullis.service: ([0-9.]+)", security.stdout)
    assert score and float(score.group(1)) < 3.0, security.stdout[-500:]
    text = UNIT.read_text()
    for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "ProtectSystem=strict",
                 "ReadWritePaths=/var/lib/portcullis", "NoNewPrivileges=yes", "PrivateTmp=yes",
                 "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"):
        assert line in text.splitlines(), line


def free_low_port() -> int:
    for port in range(700, 1000):
        with socket.socket() as probe:
            try:
                probe.bind((INSIDE, port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port below 1024 on 127.0.0.1")


def test_readiness_reload_and_stop_are_told_to_systemd_as_an_unprivileged_user(tmp_path):
    require_peer("setpriv")
    nobody = pwd.getpwnam("nobody")
    server = PortcullisServer("systemd", portcullis_binary())
    server.initialise()
    low = free_low_port()
    config = server.data_dir / "portcullis.toml"
    config.write_text(config.read_text().replace(f'listen = ["{INSIDE}:{server.smtp_port}"]',
                                                 f'listen = ["{INSIDE}:{low}"]', 1))
    for directory, _, files in os.walk(server.root):
        os.chown(directory, nobody.pw_uid, nobody.pw_gid)
        for name in files:
            os.chown(os.path.join(directory, name), nobody.pw_uid, nobody.pw_gid)
    notify_dir = Path(f"/tmp/pc-notify-{os.getpid()}")
    notify_dir.mkdir(exist_ok=True)
    os.chown(notify_dir, nobody.pw_uid, nobody.pw_gid)
    notify_path = notify_dir / "notify"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify_path))
    os.chown(notify_path, nobody.pw_uid, nobody.pw_gid)
    listener.settimeout(60)
    environment = dict(os.environ, NOTIFY_SOCKET=str(notify_path))
    # What the unit asks of systemd: an unprivileged user, one capability, no way back.
    process = subprocess.Popen(
        ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
         "--inh-caps=-all,+net_bind_service", "--ambient-caps=-all,+net_bind_service",
         "--bounding-set=-all,+net_bind_service", "--no-new-privs",
         str(server.binary), "serve", "--data-dir", str(server.data_dir)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(server.log_path, "a"), env=environment)
    try:
        def message() -> str:
            try:
                return listener.recv(4096).decode()
            except socket.timeout:
                raise AssertionError(f"no notification within 60 s\n{server.log_tail()}") from None

        ready = message()
        assert ready.splitlines()[0] == "READY=1", ready
        with SMTPDialog(INSIDE, low, timeout=30) as s:
            s.expect(s.read_reply(), 220, what=f"greeting on port {low}, bound as nobody")
        assert (server.data_dir / "portcullis.pid").read_text().strip() == str(process.pid)

        os.kill(process.pid, signal.SIGHUP)
        reloading = message()
        assert reloading.startswith("RELOADING=1\nMONOTONIC_USEC="), reloading
        assert message().startswith("READY=1"), "no READY=1 after the reload"
        assert process.poll() is None, "SIGHUP stopped the server"

        process.send_signal(signal.SIGTERM)
        assert message() == "STOPPING=1"
        assert process.wait(60) == 0
        assert not (server.data_dir / "portcullis.pid").exists(), "the pid file outlived the server"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        listener.close()
        shutil.rmtree(notify_dir, ignore_errors=True)
