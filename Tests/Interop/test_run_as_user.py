"""`[process] user`: started as root, `serve` binds a port below 1024, then runs as the
unprivileged user; what it writes (spool, Maildir) belongs to that user; private keys are
0600; a missing user is one clear error line and a non-zero exit.
"""

from __future__ import annotations

import os
import pwd
import shutil
import smtplib
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from interop_harness import HOSTNAME, INSIDE, PortcullisServer, TARO, free_port, unique_marker

USER = "portcullis-test"


def service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        if shutil.which("useradd") is None:
            pytest.fail("useradd is missing: apt-get install -y passwd")
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
        return pwd.getpwnam(USER)


def free_low_port() -> int:
    """A port below 1024 (only root may bind it) that is free on 127.0.0.1."""
    for port in range(600, 1000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((INSIDE, port))
            except OSError:
                continue
            return port
    pytest.fail("no free port between 600 and 1000 on 127.0.0.1")


def status_ids(pid: int, field: str) -> list[int]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return [int(value) for value in line.split()[1:]]
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@pytest.fixture
def workspace():
    if os.geteuid() != 0:
        pytest.fail("this scenario must run as root (it starts serve as root)")
    # The service user must be able to reach the data directory: not under a 0700 parent.
    root = Path(tempfile.mkdtemp(prefix="portcullis-user-"))
    root.chmod(0o755)
    server = PortcullisServer("run-as-user")
    server.root = root
    server.data_dir = root / "data"
    server.log_path = root / "server.log"
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def config(server: PortcullisServer, smtp_port: int, user: str) -> str:
    ports = sorted({free_port() for _ in range(10)})[:6]
    server.smtp_port = smtp_port
    (server.submission_port, server.submissions_port, server.web_port, server.dead_port,
     server.pop3_port, server.pop3s_port) = ports
    text = server.config_text((f"{INSIDE}/32",))
    return text + f'\n[process]\nuser = "{user}"\n'


def test_serve_binds_as_root_then_runs_as_the_user(workspace: PortcullisServer) -> None:
    server = workspace
    user = service_user()
    server.cli("init", "--hostname", HOSTNAME, "--user", USER)
    data = os.stat(server.data_dir)
    assert (data.st_uid, data.st_gid) == (user.pw_uid, user.pw_gid)
    assert stat.S_IMODE(data.st_mode) == 0o700
    key = os.stat(server.data_dir / "tls" / "key.pem")
    assert stat.S_IMODE(key.st_mode) == 0o600 and key.st_uid == user.pw_uid
    assert f'user = "{USER}"' in (server.data_dir / "portcullis.toml").read_text()

    low_port = free_low_port()
    (server.data_dir / "portcullis.toml").write_text(config(server, low_port, USER))
    server.cli("domain", "add", "alato.example")
    server.cli("user", "add", TARO.address, "--password-stdin", input=TARO.password + "\n")
    dkim = server.cli("dkim", "generate", "alato.example").stdout
    assert dkim
    for path in (server.data_dir / "dkim").rglob("*"):
        if path.is_file() and path.suffix == ".pem":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    server.start()
    assert status_ids(server.pid, "Uid") == [user.pw_uid] * 4
    assert status_ids(server.pid, "Gid") == [user.pw_gid] * 4
    assert status_ids(server.pid, "Groups") == [user.pw_gid]

    marker = unique_marker("run-as-user")
    with smtplib.SMTP(INSIDE, low_port, timeout=30) as client:
        client.ehlo("client.example.net")
        refused = client.sendmail("sender@example.net", [TARO.address],
                                  f"From: <sender@example.net>\r\nTo: <{TARO.address}>\r\nSubject: {marker}\r\n\r\nhi\r\n")
        assert refused == {}

    new = server.data_dir / "mailboxes" / "alato.example" / "taro" / "Maildir" / "new"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (new.is_dir() and os.listdir(new)):
        time.sleep(0.2)
    delivered = list(new.iterdir())
    assert len(delivered) == 1 and marker in delivered[0].read_text()
    assert delivered[0].stat().st_uid == user.pw_uid
    # Everything the running server wrote, the spool's journal included, is the user's.
    spool_files = [p for p in (server.data_dir / "spool").rglob("*")]
    assert any(p.parent.name == "journal" for p in spool_files)
    not_theirs = [str(p) for p in server.data_dir.rglob("*") if p.lstat().st_uid != user.pw_uid]
    assert not_theirs == []
    assert server.running(), server.log_tail()
    assert server.stop() == 0, server.log_tail()


def test_missing_user_is_one_clear_error(workspace: PortcullisServer) -> None:
    server = workspace
    missing = "portcullis-no-such-user"
    result = server.cli("init", "--hostname", HOSTNAME, "--user", missing, check=False)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and f'no user named "{missing}"' in result.stderr

    server.cli("init", "--hostname", HOSTNAME)
    (server.data_dir / "portcullis.toml").write_text(config(server, free_port(), missing))
    result = subprocess.run([str(server.binary), "serve", "--data-dir", str(server.data_dir)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert f'no user named "{missing}"' in result.stderr
    assert "ready" not in result.stdout
