"""A private PostgreSQL server for the interop suite: `initdb` into a folder under /tmp (the
postgres user must reach it, which a checkout under root's home would not allow), `pg_ctl start`
on a free loopback port with its socket in that folder; its log is copied to test-artifacts/.

PostgreSQL refuses to run as root; as root, initdb and pg_ctl run as the `postgres` user that
Debian's `postgresql` package creates (`runuser`). `stop()` ends the postmaster by its PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

from interop_harness import free_port


def _binaries() -> Path:
    candidates = [Path("/usr/lib/postgresql/15/bin")]
    base = Path("/usr/lib/postgresql")
    if base.is_dir():
        candidates += sorted((p / "bin" for p in base.iterdir()), reverse=True)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    raise AssertionError("PostgreSQL server programs (initdb, pg_ctl) not found: "
                         "apt-get install postgresql (scripts/install-test-deps)")


class PostgresServer:
    user = "portcullis"

    def __init__(self, artifacts: Path, *, durable: bool = False) -> None:
        self.bin = _binaries()
        self.artifacts = artifacts
        self.root = Path("/tmp") / f"portcullis-postgres-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.password = "pw-" + uuid.uuid4().hex
        self.port = free_port()
        self.pid: int | None = None
        # Tests run without fsync (nothing there must survive a power cut); benchmarks keep
        # PostgreSQL's default, fsync on, so the comparison is with a durable database.
        self.durable = durable

    def _as_server_user(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"{program} exited {result.returncode}: {result.stdout}{result.stderr}")

    def start(self) -> None:
        self.root.mkdir(parents=True)
        self.root.chmod(0o700)
        password_file = self.root / "password"
        password_file.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        self._as_server_user("initdb", "-D", str(self.root / "data"), "-U", self.user,
                             "--auth=scram-sha-256", f"--pwfile={password_file}",
                             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self.resume()

    def pause(self) -> None:
        """Stops the server as a crash would (immediate shutdown) and keeps its data."""
        self._as_server_user("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        self.pid = None

    def resume(self) -> None:
        """Starts the paused server again on the same port and data."""
        self._as_server_user("pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "server.log"),
                             "-w", "-t", "60", "-o",
                             f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
                             + ("" if self.durable else " -c fsync=off"),
                             "start")
        self.pid = int((self.root / "data" / "postmaster.pid").read_text().split("\n")[0])

    def stop(self) -> None:
        if not self.root.exists():
            return
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGQUIT)  # immediate shutdown
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            self.pid = None
        # The log is kept for a look after a failure; the rest goes.
        if (self.root / "server.log").is_file():
            self.artifacts.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.root / "server.log", self.artifacts / f"{self.root.name}.log")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, *, password: bool = True) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgres://{self.user}{secret}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def create_database(self) -> str:
        name = "interop_" + uuid.uuid4().hex[:12]
        result = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}",
                                 self.url("postgres").replace("?sslmode=disable", "")],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"psql CREATE DATABASE exited {result.returncode}: {result.stderr}")
        return name
