"""`portcullis directory copy` through the real binary: an SQLite installation made with the
command line moves into PostgreSQL, and the server on the PostgreSQL directory logs its users in
with their original passwords; a non-empty or unmigrated target, a missing source file and an
unreachable database are refused in one line that names the fix and never shows a password.
"""

from __future__ import annotations

import smtplib
import ssl
from pathlib import Path

from interop_harness import HANAKO_DISABLED, INSIDE, JIRO, TARO, TARO_ALIAS, PortcullisServer, free_port
from test_postgres_directory import one_line_error, run


def summary(output: str) -> dict[str, int]:
    """The per-kind counts of the copy summary ("  accounts   3" lines)."""
    counts = {}
    for line in output.splitlines():
        if line.startswith("  "):
            name, _, count = line.strip().rpartition(" ")
            counts[name.strip()] = int(count)
    return counts


def test_sqlite_installation_moves_to_postgres_and_logs_in(portcullis_bin: Path, postgres):
    node = PortcullisServer("copy-to-pg", portcullis_bin)
    node.initialise(access_prefixes=(f"{INSIDE}/32", "203.0.113.0/24"))
    try:
        node.provision()
        node.cli("user", "limits", TARO.address, "--messages-per-hour", "7")
        node.cli("op25b", "exempt", "add", "203.0.113.7", "--reason", "own mail server")
        sqlite = f"sqlite:{node.data_dir / 'directory.sqlite'}"

        database = postgres.create_database()
        migrated = run(portcullis_bin, "directory", "migrate", "--directory-url", postgres.url(database))
        assert migrated.returncode == 0, migrated.stderr
        password_file = node.root / "pg-password"
        password_file.write_text(postgres.password + "\n")
        target = postgres.url(database, password=False)

        copied = run(portcullis_bin, "directory", "copy", "--from", sqlite, "--to", target,
                     "--to-password-file", str(password_file))
        assert copied.returncode == 0, copied.stderr
        assert postgres.password not in copied.stdout + copied.stderr
        counts = summary(copied.stdout)
        assert counts["domains"] == 2 and counts["accounts"] == 3 and counts["aliases"] == 1, copied.stdout
        assert counts["OP25B exemptions"] == 1 and counts["account limits"] == 1, copied.stdout
        assert "verified" in copied.stdout

        # A second copy into the same database is refused, naming what it holds, and changes nothing.
        again = run(portcullis_bin, "directory", "copy", "--from", sqlite, "--to", postgres.url(database))
        line = one_line_error(again, postgres.password)
        assert "not empty: it holds 2 domains, 3 accounts, 1 aliases" in line, line

        # The node now runs on the PostgreSQL directory; its SQLite file is out of the way.
        config = node.data_dir / "portcullis.toml"
        text = config.read_text()
        sqlite_table = '[directory]\nurl = "sqlite:directory.sqlite"\n'
        assert sqlite_table in text
        config.write_text(text.replace(sqlite_table, f'[directory]\nurl = "{postgres.url(database)}"\n'))
        (node.data_dir / "directory.sqlite").rename(node.data_dir / "directory.sqlite.moved")
        listed = node.cli("user", "list").stdout.splitlines()
        assert f"{HANAKO_DISABLED.address}\tdisabled" in listed and f"{TARO.address}\tenabled" in listed
        assert TARO_ALIAS in node.cli("alias", "list").stdout
        assert "messages per hour: 7" in node.cli("user", "limits", TARO.address).stdout
        assert "203.0.113.7/32" in node.cli("op25b", "exempt", "list").stdout

        node.start()
        context = ssl._create_unverified_context()
        for account in (TARO, JIRO):
            with smtplib.SMTP_SSL("127.0.0.1", node.submissions_port, context=context, timeout=30) as client:
                client.ehlo("client.example")
                assert client.login(account.address, account.password)[0] == 235
        # Disabled stayed disabled: the right password is refused.
        with smtplib.SMTP_SSL("127.0.0.1", node.submissions_port, context=context, timeout=30) as client:
            client.ehlo("client.example")
            try:
                client.login(HANAKO_DISABLED.address, HANAKO_DISABLED.password)
                raise AssertionError("a disabled account logged in after the copy")
            except smtplib.SMTPAuthenticationError as refused:
                assert refused.smtp_code == 535
        node.stop()
        assert postgres.password not in node.log_path.read_text()
    finally:
        node.stop()


def test_refusals_are_one_line(portcullis_bin: Path, postgres, tmp_path: Path):
    node = PortcullisServer("copy-refusals", portcullis_bin)
    node.initialise()
    try:
        node.provision()
        sqlite = f"sqlite:{node.data_dir / 'directory.sqlite'}"

        # A database without the schema: the command that fixes it.
        unmigrated = postgres.create_database()
        line = one_line_error(run(portcullis_bin, "directory", "copy", "--from", sqlite,
                                  "--to", postgres.url(unmigrated)), postgres.password)
        assert "no Portcullis schema" in line and "portcullis directory migrate --directory-url" in line, line
        assert node.cli("user", "list").stdout.count("\n") == 3

        # No such source file: never read as an empty directory.
        missing = tmp_path / "nothing-here.sqlite"
        line = one_line_error(run(portcullis_bin, "directory", "copy", "--from", f"sqlite:{missing}",
                                  "--to", f"sqlite:{tmp_path / 'new.sqlite'}"), postgres.password)
        assert "no such file" in line, line
        assert not missing.exists()

        # Nobody listening; a URL that does not parse.
        closed = f"postgres://portcullis:secret-9@127.0.0.1:{free_port()}/db?sslmode=disable"
        line = one_line_error(run(portcullis_bin, "directory", "copy", "--from", sqlite, "--to", closed), "secret-9")
        assert "--to postgres://portcullis@127.0.0.1:" in line and "nothing was copied" not in line, line
        line = one_line_error(run(portcullis_bin, "directory", "copy", "--from", sqlite, "--to", "mysql://x"), "secret-9")
        assert "--to:" in line and "sqlite: or postgres://" in line, line

        # PostgreSQL to a new SQLite file works the other way too, and that file is then full.
        database = postgres.create_database()
        assert run(portcullis_bin, "directory", "migrate", "--directory-url", postgres.url(database)).returncode == 0
        assert run(portcullis_bin, "directory", "copy", "--from", sqlite, "--to", postgres.url(database)).returncode == 0
        back = tmp_path / "back.sqlite"
        result = run(portcullis_bin, "directory", "copy", "--from", postgres.url(database), "--to", f"sqlite:{back}")
        assert result.returncode == 0, result.stderr
        assert summary(result.stdout)["accounts"] == 3
        line = one_line_error(run(portcullis_bin, "directory", "copy", "--from", sqlite, "--to", f"sqlite:{back}"),
                              postgres.password)
        assert "not empty" in line, line
    finally:
        node.stop()
