"""A private Postfix instance: its own config and queue directories under a temporary directory.

`postfix -c DIR start` with DIR holding our main.cf and master.cf. Nothing under /etc/postfix is
written or read for configuration (the package's meta files there, postfix-files and
dynamicmaps.cf, are read-only inputs of `post-install`), and the system instance is never
started: every command names our config directory explicitly.

The setup mirrors the Portcullis one:
- a port-25 service on loopback that relays anything from 127.0.0.0/8 (mynetworks) to a
  static next hop, an smtp-sink on loopback (`relayhost = [127.0.0.1]:PORT`, no DNS);
- optionally a submission service: STARTTLS required, Cyrus SASL with a sasldb (AUTH PLAIN),
  relay only when authenticated, and the sender must be the login (smtpd_sender_login_maps);
- logging to a file through postlogd, as Portcullis logs every session to a file here;
- no chroot (the Debian default chroots smtpd, which needs copies of /etc files in the queue);
- optionally a milter on the submission service only (`smtpd_milters` there, e.g. a private
  OpenDKIM that signs), with `milter_default_action = tempfail`: when the milter cannot be
  reached or fails, the client gets a 4xx and the message is not accepted unsigned.

Durability is Postfix's default: cleanup fsyncs the queue file before smtpd answers 250.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import procfs


@dataclass
class SaslAccount:
    user: str        # e.g. taro@alato.example
    password: str


class PostfixInstance:
    """One private Postfix; `start()`/`stop()` are bounded and stop only our own master."""

    def __init__(self, root: Path, smtp_port: int, relay_port: int, submission_port: int | None = None,
                 tls_files: tuple[Path, Path] | None = None, sasl_accounts: list[SaslAccount] | None = None,
                 process_limit: int = 100, submission_milter: str | None = None) -> None:
        self.root = root
        self.config_dir = root / "etc"
        self.queue_dir = root / "queue"
        self.data_dir = root / "data"
        self.log_path = root / "maillog"
        self.smtp_port = smtp_port
        self.relay_port = relay_port
        self.submission_port = submission_port
        self.tls_files = tls_files
        self.sasl_accounts = sasl_accounts or []
        self.process_limit = process_limit
        self.submission_milter = submission_milter   # e.g. "inet:127.0.0.1:PORT"
        self.master_pid: int | None = None

    # -- configuration ---------------------------------------------------------------------

    def write_configuration(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        for directory in (self.config_dir, self.queue_dir, self.data_dir):
            directory.mkdir(parents=True)
        # The daemons run as the postfix user and must traverse to the queue and data dirs.
        self.root.chmod(0o755)
        shutil.chown(self.data_dir, user="postfix")
        (self.config_dir / "main.cf").write_text(self._main_cf(), encoding="ascii")
        (self.config_dir / "master.cf").write_text(self._master_cf(), encoding="ascii")
        if self.submission_port is not None:
            self._write_sasl()

    def _main_cf(self) -> str:
        root = self.root
        lines = f"""# Private benchmark instance (Benchmarks/portbench/postfix.py); loopback only.
compatibility_level = 3.6
queue_directory = {self.queue_dir}
data_directory = {self.data_dir}
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix-bench.alato.example
mydomain = alato.example
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:{self.relay_port}
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtp_tls_security_level = none
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
default_process_limit = {self.process_limit}
biff = no
"""
        if self.tls_files is not None:
            cert, key = self.tls_files
            lines += f"""smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
"""
        if self.submission_port is not None:
            lines += f"""cyrus_sasl_config_path = {self.config_dir / 'sasl'}
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sender_login_maps = texthash:{self.config_dir / 'sender_login'}
"""
        if self.submission_milter is not None:
            lines += """milter_protocol = 6
milter_default_action = tempfail
"""
        return lines

    def _master_cf(self) -> str:
        # service type private unpriv chroot wakeup maxproc command
        services = [f"127.0.0.1:{self.smtp_port} inet n - n - - smtpd"]
        if self.submission_port is not None:
            services.append(
                f"127.0.0.1:{self.submission_port} inet n - n - - smtpd\n"
                "  -o syslog_name=postfix/submission\n"
                "  -o smtpd_tls_security_level=encrypt\n"
                "  -o smtpd_tls_auth_only=yes\n"
                "  -o smtpd_sasl_auth_enable=yes\n"
                "  -o smtpd_sasl_security_options=noanonymous\n"
                "  -o mynetworks=\n"
                "  -o smtpd_client_restrictions=\n"
                "  -o smtpd_sender_restrictions=reject_sender_login_mismatch\n"
                "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
                "  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject"
                + (f"\n  -o smtpd_milters={self.submission_milter}" if self.submission_milter else ""))
        services += [
            "cleanup   unix n - n - 0 cleanup",
            "qmgr      unix n - n 300 1 qmgr",
            "tlsmgr    unix - - n 1000? 1 tlsmgr",
            "rewrite   unix - - n - - trivial-rewrite",
            "bounce    unix - - n - 0 bounce",
            "defer     unix - - n - 0 bounce",
            "trace     unix - - n - 0 bounce",
            "verify    unix - - n - 1 verify",
            "flush     unix n - n 1000? 0 flush",
            "proxymap  unix - - n - - proxymap",
            "smtp      unix - - n - - smtp",
            "relay     unix - - n - - smtp",
            "showq     unix n - n - - showq",
            "error     unix - - n - - error",
            "retry     unix - - n - - error",
            "discard   unix - - n - - discard",
            "anvil     unix - - n - 1 anvil",
            "scache    unix - - n - 1 scache",
            "postlog   unix-dgram n - n - 1 postlogd",
        ]
        return "# Private benchmark instance (Benchmarks/portbench/postfix.py).\n" + "\n".join(services) + "\n"

    def _write_sasl(self) -> None:
        sasl_dir = self.config_dir / "sasl"
        sasl_dir.mkdir()
        sasldb = sasl_dir / "sasldb2"
        (sasl_dir / "smtpd.conf").write_text(
            f"pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: {sasldb}\n",
            encoding="ascii")
        logins = []
        for account in self.sasl_accounts:
            local, _, realm = account.user.partition("@")
            subprocess.run(["saslpasswd2", "-f", str(sasldb), "-p", "-c", "-u", realm, local],
                           input=account.password.encode(), check=True, timeout=30,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            logins.append(f"{account.user} {account.user}")
        # smtpd (user postfix) reads the sasldb on every AUTH.
        shutil.chown(sasldb, user="postfix")
        sasldb.chmod(0o600)
        (self.config_dir / "sender_login").write_text("\n".join(logins) + "\n", encoding="ascii")

    # -- life cycle ------------------------------------------------------------------------

    def _postfix(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(["postfix", "-c", str(self.config_dir), *args], capture_output=True, text=True,
                              timeout=timeout)

    def start(self, timeout: float = 60) -> int:
        """Starts master and returns its PID once the port-25 service accepts connections."""
        result = self._postfix("start", timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"postfix start failed ({result.returncode}): {result.stderr.strip()}; "
                               f"see {self.log_path}")
        pid_file = self.queue_dir / "pid" / "master.pid"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pid_file.exists():
                text = pid_file.read_text().strip()
                if text.isdigit():
                    self.master_pid = int(text)
                    try:
                        with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=2) as sock:
                            sock.settimeout(5)
                            if sock.recv(512).startswith(b"220"):
                                sock.sendall(b"QUIT\r\n")
                                return self.master_pid
                    except OSError:
                        pass
            time.sleep(0.1)
        raise RuntimeError(f"Postfix did not answer on port {self.smtp_port} within {timeout} s; see {self.log_path}")

    def queue_is_empty(self) -> bool:
        for name in ("incoming", "active", "deferred", "maildrop"):
            directory = self.queue_dir / name
            for _, _, files in os.walk(directory):
                if files:
                    return False
        return True

    def stop(self, timeout: float = 30) -> None:
        """`postfix stop`, then waits for our master to exit; SIGKILL to it and its children if not."""
        if self.master_pid is None:
            return
        pid = self.master_pid
        children = procfs.children_of(pid)
        self._postfix("stop", timeout=timeout)
        if not procfs.wait_for_exit(pid, timeout):
            for child in sorted(set(children + procfs.children_of(pid))) + [pid]:
                try:
                    os.kill(child, 9)
                except ProcessLookupError:
                    pass
            procfs.wait_for_exit(pid, 10)
        # Daemons exit on their own once master is gone; give them a moment, by PID.
        for child in children:
            procfs.wait_for_exit(child, 5)
        self.master_pid = None

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
