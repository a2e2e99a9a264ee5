"""Running the real POP3 clients of the scenarios: curl, fetchmail and getmail6 (Debian's packages).

Each writes its configuration and transcript under the server's artifact folder and delivers
what it fetched into files the scenario reads back. The clients verify TLS against the server's
own self-signed certificate (subject mail.alato.example) wherever they can: curl with
`--cacert` and `--resolve`, fetchmail with `sslcertfile`/`sslcertck`, getmail6 with `ca_certs`
and `ssl_cert_hostname`.
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import uuid
from pathlib import Path

from interop_harness import HOSTNAME, INSIDE, Account, require_peer

CLIENT_TIMEOUT = 120
DELIVERY_USER = "mail"


def run_client(root: Path, name: str, command: list[str], *, env: dict | None = None) -> tuple[int, bytes, str]:
    """Runs a client with a deadline; returns (exit status, stdout bytes, stderr text) and logs
    the whole run to `root/client-NAME.log`."""
    try:
        result = subprocess.run(command, capture_output=True, timeout=CLIENT_TIMEOUT,
                                env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"{name} did not finish within {CLIENT_TIMEOUT}s: {command}\n"
                             f"{(error.stderr or b'').decode(errors='replace')}") from None
    stderr = result.stderr.decode("utf-8", "replace")
    with open(root / f"client-{name}.log", "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n[stdout {len(result.stdout)} bytes]\n"
                  f"{result.stdout[:4000].decode('utf-8', 'replace')}\n{stderr}\n[exit {result.returncode}]\n\n")
    return result.returncode, result.stdout, stderr


# -- curl -----------------------------------------------------------------------------------------

def curl(root: Path, certificate: Path, port: int, account: Account, *, implicit_tls: bool,
         path: str = "", request: str | None = None) -> tuple[int, bytes, str]:
    """`curl pop3://` with `--ssl-reqd` (STLS, RFC 2595) or `pop3s://` (RFC 8314); path "" is
    LIST, "N" is RETR N; `request` sends another command (e.g. UIDL)."""
    scheme = "pop3s" if implicit_tls else "pop3"
    command = [require_peer("curl"), "--silent", "--show-error", "--verbose", "--max-time", "60",
               "--cacert", str(certificate), "--resolve", f"{HOSTNAME}:{port}:{INSIDE}",
               "--user", f"{account.address}:{account.password}"]
    if not implicit_tls:
        command.append("--ssl-reqd")
    if request:
        command += ["--request", request]
    command.append(f"{scheme}://{HOSTNAME}:{port}/{path}")
    return run_client(root, f"curl-{scheme}", command)


# -- fetchmail ------------------------------------------------------------------------------------

class Fetchmail:
    """fetchmail with an rcfile of its own, an idfile (UIDs it has seen, for `keep`), and an mda
    that writes every message it hands over into `out/` as one file."""

    def __init__(self, root: Path, certificate: Path, port: int, account: Account, *,
                 implicit_tls: bool, keep: bool) -> None:
        self.dir = root / f"fetchmail-{uuid.uuid4().hex[:8]}"
        self.out = self.dir / "out"
        self.out.mkdir(parents=True)
        mda = self.dir / "mda"
        mda.write_text(f'#!/bin/sh\nexec cat > "{self.out}/$(date +%s%N).$$"\n')
        mda.chmod(0o755)
        # Without `ssl`, `sslproto tls1.2+` makes fetchmail require STLS (fetchmail(1), sslproto).
        tls = "ssl sslproto tls1.2+" if implicit_tls else "sslproto tls1.2+"
        self.rcfile = self.dir / "fetchmailrc"
        self.rcfile.write_text(
            "set no syslog\n"
            "set no bouncemail\n"
            # No Received header of fetchmail's own: the mda gets the message as the server sent it.
            "set invisible\n"
            f'poll {HOSTNAME} via {INSIDE} port {port} protocol pop3 uidl auth password timeout 60\n'
            f'    user "{account.address}" there with password "{account.password}" is root here\n'
            f'    {tls} sslcertck sslcertfile "{certificate}" sslcommonname "{HOSTNAME}"\n'
            f'    {"keep" if keep else "no keep"} no rewrite\n'
            f'    mda "{mda}"\n', encoding="utf-8")
        os.chmod(self.rcfile, 0o600)  # fetchmail refuses an rcfile others can read (it holds a password)
        self.root = root
        self.name = "fetchmail-ssl" if implicit_tls else "fetchmail-stls"

    def run(self) -> tuple[int, str]:
        """One fetch. fetchmail's exit status: 0 mail was fetched, 1 there was none (fetchmail(1))."""
        command = [require_peer("fetchmail"), "--fetchmailrc", str(self.rcfile), "--idfile",
                   str(self.dir / "fetchids"), "--pidfile", str(self.dir / "pid"), "--nodetach",
                   "--verbose", "--verbose"]
        rc, stdout, stderr = run_client(self.root, self.name, command, env={"HOME": str(self.dir)})
        return rc, stdout.decode("utf-8", "replace") + stderr

    def fetched(self) -> list[bytes]:
        return [path.read_bytes() for path in sorted(self.out.iterdir())]


# -- getmail6 -------------------------------------------------------------------------------------

class Getmail:
    """getmail6 over POP3 with implicit TLS (SimplePOP3SSLRetriever) into a Maildir of its own;
    `read_all = false` fetches only messages whose UIDL it has not seen (its oldmail file)."""

    def __init__(self, root: Path, certificate: Path, port: int, account: Account, *, delete: bool) -> None:
        self.dir = root / f"getmail-{uuid.uuid4().hex[:8]}"
        self.out = self.dir / "Maildir"
        for sub in ("new", "cur", "tmp"):
            (self.out / sub).mkdir(parents=True)
        mail = pwd.getpwnam(DELIVERY_USER)
        for directory in (self.dir, self.out, *(self.out / sub for sub in ("new", "cur", "tmp"))):
            os.chown(directory, mail.pw_uid, mail.pw_gid)
        self.rcfile = self.dir / "getmailrc"
        self.rcfile.write_text(
            "[retriever]\n"
            "type = SimplePOP3SSLRetriever\n"
            f"server = {INSIDE}\n"
            f"port = {port}\n"
            f"username = {account.address}\n"
            f"password = {account.password}\n"
            f"ca_certs = {certificate}\n"
            f"ssl_cert_hostname = {HOSTNAME}\n"
            "[destination]\n"
            "type = Maildir\n"
            f"path = {self.out}/\n"
            # getmail refuses to deliver as root: it writes the Maildir as Debian's `mail` user.
            f"user = {DELIVERY_USER}\n"
            "[options]\n"
            "verbose = 2\n"
            "read_all = false\n"
            f"delete = {'true' if delete else 'false'}\n"
            "delivered_to = false\n"
            "received = false\n", encoding="utf-8")
        self.root = root

    def run(self) -> tuple[int, str]:
        command = [require_peer("getmail"), "--getmaildir", str(self.dir), "--rcfile", str(self.rcfile)]
        rc, stdout, stderr = run_client(self.root, "getmail", command)
        return rc, stdout.decode("utf-8", "replace") + stderr

    def fetched(self) -> list[bytes]:
        """What getmail wrote, header fields unfolded (see `as_getmail_writes`)."""
        return [unfolded(path.read_bytes()) for path in sorted((self.out / "new").iterdir())]


def as_getmail_writes(stored: bytes) -> bytes:
    """A stored (LF) message as getmail6 writes it, with header fields unfolded. POP3 carries no
    envelope, so getmail always puts a `Return-Path:` first, taken from the message's own
    Return-Path (or Sender) or else `<unknown>`, and drops the original field; and it writes
    the message through Python's email package, which refolds long header fields
    (getmailcore/message.py, flatten). Folding is not content (RFC 5322 §2.2.3), so both sides
    are compared unfolded (`unfolded`); the body must be the same bytes."""
    head, separator, body = stored.partition(b"\n\n")
    lines = head.split(b"\n")
    sender = next((line.split(b":", 1)[1].strip().strip(b"<>") for line in lines
                   if line.lower().startswith(b"return-path:")), None)
    sender = sender or next((line.split(b":", 1)[1].strip().strip(b"<>") for line in lines
                             if line.lower().startswith(b"sender:")), b"unknown")
    kept = [line for line in lines if not line.lower().startswith(b"return-path:")]
    return unfolded(b"Return-Path: <" + sender + b">\n" + b"\n".join(kept) + separator + body)


def unfolded(message: bytes) -> bytes:
    """The message with every folded header field on one line (RFC 5322 §2.2.3)."""
    head, separator, body = message.partition(b"\n\n")
    return re.sub(rb"\n(?=[ \t])", b"", head) + separator + body
