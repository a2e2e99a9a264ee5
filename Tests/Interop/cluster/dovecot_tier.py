"""A private Dovecot (IMAP, POP3, LMTP) configured by `portcullis dovecot-config`: the mailbox tier.

The configuration under test is the one Portcullis writes (`dovecot-config --output DIR`); this
helper only wraps it in what a private instance needs (its own base_dir, state_dir, log and
instance name, all under a short /tmp path because unix socket paths are limited to 108 bytes)
and includes it, as an operator's dovecot.conf would. It listens on loopback ports only and is
stopped by PID. Dovecot refuses mail processes with UID 0, so the mail belongs to Debian's
`mail` user (`--mail-user mail`).
"""

from __future__ import annotations

import imaplib
import pwd
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

from dovecot_master import DovecotError, DovecotMaster
from interop_harness import CLI_TIMEOUT, free_port

MAIL_USER = "mail"


class DovecotTier:
    def __init__(self, root: Path) -> None:
        self.root = root
        ports: set[int] = set()
        while len(ports) < 5:
            ports.add(free_port())
        self.lmtp_port, self.imaps_port, self.pop3s_port, self.imap_port, self.pop3_port = sorted(ports)
        self._run_parent = Path(tempfile.mkdtemp(prefix="dct-"))
        self.mail_root = self.root / "vmail"
        self.conf_dir = self.root / "conf"
        self.log_path = self.root / "dovecot.log"
        self.master = DovecotMaster(self.root / "dovecot.conf", self.log_path, self.root / "dovecot.stderr")

    @property
    def lmtp_address(self) -> str:
        return f"127.0.0.1:{self.lmtp_port}"

    def configure(self, binary: Path, data_dir: Path, extra: str = "") -> str:
        """Runs `portcullis dovecot-config` on a node's data directory; `extra` settings (quota
        for one scenario) go before the generated file. Returns the generated dovecot.conf."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.mail_root.mkdir(exist_ok=True)
        mail = pwd.getpwnam(MAIL_USER)
        shutil.chown(self.mail_root, mail.pw_uid, mail.pw_gid)
        result = subprocess.run(
            [str(binary), "dovecot-config", "--data-dir", str(data_dir), "--output", str(self.conf_dir),
             "--mail-user", MAIL_USER, "--mail-root", str(self.mail_root), "--listen", "127.0.0.1",
             "--imap-port", str(self.imap_port), "--imaps-port", str(self.imaps_port),
             "--pop3-port", str(self.pop3_port), "--pop3s-port", str(self.pop3s_port)],
            capture_output=True, text=True, timeout=CLI_TIMEOUT)
        if result.returncode != 0:
            raise DovecotError(f"portcullis dovecot-config exited {result.returncode}: {result.stderr}")
        run = self._run_parent / "run"
        (self.root / "state").mkdir(exist_ok=True)
        (self.root / "dovecot.conf").write_text(
            f"# Written by Tests/Interop/cluster/dovecot_tier.py: a private instance around the generated file.\n"
            f"base_dir = {run}\nstate_dir = {self.root / 'state'}\ninstance_name = dovecot-{self.lmtp_port}\n"
            f"log_path = {self.log_path}\n{extra}\n!include {self.conf_dir / 'portcullis.conf'}\n",
            encoding="utf-8")
        return (self.conf_dir / "portcullis.conf").read_text()

    def start(self, timeout: float = 30.0) -> None:
        self.master.start("127.0.0.1", [self.lmtp_port, self.imaps_port], timeout,
                          required=("/usr/lib/dovecot/imap", "/usr/lib/dovecot/lmtp"),
                          install_hint="dovecot-imapd dovecot-lmtpd dovecot-pgsql dovecot-sqlite")

    def stop(self) -> None:
        self.master.stop()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self._run_parent, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        return self.master.log_tail(lines)

    def imap(self, address: str, password: str) -> imaplib.IMAP4_SSL:
        """An IMAPS session logged in as `address` (raises imaplib.IMAP4.error when refused)."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        client = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context, timeout=30)
        try:
            client.login(address, password)
        except BaseException:
            client.shutdown()
            raise
        return client

    def messages(self, address: str, password: str) -> list[bytes]:
        """Every message in the account's INBOX, as stored."""
        client = self.imap(address, password)
        try:
            client.select("INBOX", readonly=True)
            _, numbers = client.search(None, "ALL")
            found = []
            for number in numbers[0].split():
                _, data = client.fetch(number, "(BODY.PEEK[])")
                found.append(data[0][1])
            return found
        finally:
            client.logout()
