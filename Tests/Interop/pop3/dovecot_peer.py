"""A private Dovecot POP3 server (Debian's dovecot-core + dovecot-pop3d) over Portcullis' Maildirs.

The reference peer of Benchmarks/pop3-vs-dovecot.sh: it reads the same `<root>/<domain>/<local>/Maildir`
trees that Portcullis delivers into, authenticates from a passwd-file, and listens on loopback
ports only (STLS and implicit TLS). It runs in the foreground (`dovecot -F -c FILE`) with its own
base_dir, so it neither needs nor touches a system Dovecot; its indexes and UID lists go to a
directory of their own (`:INDEX=` and `:CONTROL=`), so the Maildirs hold nothing but mail.

Dovecot refuses mail processes with UID 0, so the mail user is Debian's `mail` (8:8): the Maildirs
it serves are handed to that user (`chown_maildirs`); Portcullis, running as root, still reads them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dovecot_master import DovecotError, DovecotMaster  # noqa: E402

MAIL_USER = "mail"


class DovecotPOP3:
    def __init__(self, root: Path, mailboxes: Path, certificate: Path, private_key: Path,
                 pop3_port: int, pop3s_port: int, host: str = "127.0.0.1", *,
                 login_performance_mode: bool = False) -> None:
        self.root = root
        self.mailboxes = mailboxes
        self.certificate = certificate
        self.private_key = private_key
        self.host = host
        self.pop3_port = pop3_port
        self.pop3s_port = pop3s_port
        self.users: dict[str, str] = {}
        # Debian's default is Dovecot's "high-security mode": a new pop3-login process for every
        # connection. The "high-performance mode" of Dovecot's documentation (service_count = 0,
        # process_min_avail = number of cores) keeps login processes and serves many
        # connections from each.
        self.login_performance_mode = login_performance_mode
        self.master: DovecotMaster | None = None
        # Unix socket paths are limited to 108 bytes: the base_dir lives under a short /tmp name.
        self._base_parent = Path(tempfile.mkdtemp(prefix="dcp-"))
        os.chmod(self._base_parent, 0o755)
        self.base_dir = self._base_parent / "run"
        self.config_path = root / "dovecot.conf"
        self.log_path = root / "dovecot.log"

    def add_user(self, address: str, password: str | None = None, *, crypt_hash: str | None = None) -> None:
        """An account with a cleartext password, or with a crypt(3) hash (for example the
        yescrypt `$y$` hash `portcullis user add` stored: the same credential, the same cost)."""
        self.users[address] = f"{{CRYPT}}{crypt_hash}" if crypt_hash else f"{{PLAIN}}{password}"
        self._write_passwd()

    def _write_passwd(self) -> None:
        # One passwd-file per user (the passdb path has %u in it): an account added while Dovecot
        # runs is a file it has never read, so no cached copy of an older file can hide it.
        users = self.root / "users"
        users.mkdir(parents=True, exist_ok=True)
        for address, secret in self.users.items():
            path = users / address
            if not path.exists():
                path.write_text(f"{address}:{secret}::::::\n", encoding="utf-8")

    def config_text(self) -> str:
        mail = pwd.getpwnam(MAIL_USER)
        index = self.root / "index"
        return f"""# Written by Tests/Interop/pop3/dovecot_peer.py: a private POP3 server on loopback.
base_dir = {self.base_dir}
state_dir = {self.root / "state"}
instance_name = dovecot-{self.pop3_port}
log_path = {self.log_path}
protocols = pop3
listen = {self.host}
ssl = yes
ssl_cert = <{self.certificate}
ssl_key = <{self.private_key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
first_valid_uid = {mail.pw_uid}
first_valid_gid = {mail.pw_gid}
mail_location = maildir:{self.mailboxes}/%d/%n/Maildir:INDEX={index}/%d/%n:CONTROL={index}/%d/%n
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = username_format=%u {self.root / "users"}/%u
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={self.mailboxes}/%d/%n
}}
service pop3-login {{
{self._login_mode()}  inet_listener pop3 {{
    address = {self.host}
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    address = {self.host}
    port = {self.pop3s_port}
    ssl = yes
  }}
}}
"""

    def _login_mode(self) -> str:
        if not self.login_performance_mode:
            return ""
        return f"  service_count = 0\n  process_min_avail = {os.cpu_count() or 1}\n  vsz_limit = 1G\n"

    def chown_maildirs(self) -> None:
        mail = pwd.getpwnam(MAIL_USER)
        for directory, dirs, files in os.walk(self.mailboxes):
            os.chown(directory, mail.pw_uid, mail.pw_gid)
            for name in files:
                os.chown(os.path.join(directory, name), mail.pw_uid, mail.pw_gid)

    @property
    def process(self):
        """The master's process (its PID for the benchmark's memory figures), or None."""
        return self.master.process if self.master is not None else None

    def start(self, timeout: float = 30.0) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "state").mkdir(exist_ok=True)
        (self.root / "index").mkdir(exist_ok=True)
        mail = pwd.getpwnam(MAIL_USER)
        os.chown(self.root / "index", mail.pw_uid, mail.pw_gid)
        self._write_passwd()
        self.config_path.write_text(self.config_text(), encoding="utf-8")
        self.chown_maildirs()
        self.master = DovecotMaster(self.config_path, self.log_path, self.root / "dovecot.stderr")
        self.master.start(self.host, [self.pop3_port, self.pop3s_port], timeout,
                          required=("/usr/lib/dovecot/pop3",), install_hint="dovecot-core dovecot-pop3d")

    def log_tail(self, lines: int = 40) -> str:
        return self.master.log_tail(lines) if self.master is not None else "(not started)"

    def session_pids(self) -> list[int]:
        """The processes serving logged-in POP3 sessions: Dovecot forks one `pop3` process per
        session (and a `pop3-login` per connection before login), children of our master."""
        if self.process is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and comm == "pop3":
                pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        if self.master is not None:
            self.master.stop()
        shutil.rmtree(self._base_parent, ignore_errors=True)
