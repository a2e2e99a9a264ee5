"""Portcullis nodes whose local mail goes over LMTP to the Dovecot tier."""

from __future__ import annotations

import re
from pathlib import Path

from interop_harness import PortcullisServer


class LMTPNode(PortcullisServer):
    """The harness's server with `[mailbox] store = "lmtp"` (so no POP3 listeners of its own;
    `lmtp=None` keeps the Maildir store), a short AUTH failure delay, and optionally another
    `[directory]` table."""

    def __init__(self, name: str, binary: Path, lmtp: str | None, directory_table: str | None = None) -> None:
        super().__init__(name, binary)
        self.lmtp = lmtp
        self.directory_table = directory_table

    def config_text(self, access_prefixes: tuple[str, ...]) -> str:
        text = super().config_text(access_prefixes)
        text = text.replace("[limits]\n", "[limits]\nauth_failure_delay_ms = 20\n", 1)
        if self.directory_table is not None:
            sqlite = '[directory]\nurl = "sqlite:directory.sqlite"\n'
            assert sqlite in text
            text = text.replace(sqlite, self.directory_table)
        if self.lmtp is None:
            return text
        text, count = re.subn(r'(?m)^\[pop3\]\nlisten = \[.*\]\nimplicit_tls_listen = \[.*\]\n',
                              "[pop3]\nlisten = []\nimplicit_tls_listen = []\n", text)
        assert count == 1, "the harness's [pop3] table changed"
        return text + f'\n[mailbox]\nstore = "lmtp"\nlmtp = "{self.lmtp}"\n'
