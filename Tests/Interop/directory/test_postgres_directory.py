"""The PostgreSQL directory through the real command line and server.

Every command that reads the directory works on a `postgres://` URL; two data directories (two
nodes) on one database see the same accounts, one with its password in `password_file`; a
database without the schema is refused by `serve` and the CLI in one line naming
`portcullis directory migrate`; two migrations at once apply the schema once; a wrong password
is one line that does not show it.
"""

from __future__ import annotations

import smtplib
import ssl
import subprocess
from pathlib import Path

from interop_harness import CLI_TIMEOUT, HOSTNAME, TARO, PortcullisServer, make_message, unique_marker


class PostgresNode(PortcullisServer):
    """A harness server whose `[directory]` is the given TOML table instead of SQLite."""

    def __init__(self, name: str, binary: Path, directory_table: str) -> None:
        super().__init__(name, binary)
        self.directory_table = directory_table

    def config_text(self, access_prefixes: tuple[str, ...]) -> str:
        text = super().config_text(access_prefixes)
        sqlite = '[directory]\nurl = "sqlite:directory.sqlite"\n'
        assert sqlite in text
        return text.replace(sqlite, self.directory_table)


def run(binary: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *args], input=input, capture_output=True, text=True, timeout=CLI_TIMEOUT)


def one_line_error(result: subprocess.CompletedProcess, secret: str) -> str:
    assert result.returncode != 0, result.stdout
    assert secret not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_init_and_every_directory_command_on_postgres(portcullis_bin: Path, postgres, tmp_path: Path):
    database = postgres.create_database()
    data = tmp_path / "node"
    created = run(portcullis_bin, "init", "--data-dir", str(data), "--directory-url", postgres.url(database))
    assert created.returncode == 0, created.stderr
    assert "applied schema versions 1, 2; now at 2" in created.stdout
    assert postgres.password not in created.stdout
    assert not (data / "directory.sqlite").exists()
    assert f'url = "{postgres.url(database)}"' in (data / "portcullis.toml").read_text()

    outputs: list[str] = []

    def cli(*args: str, input: str | None = None) -> str:
        result = run(portcullis_bin, *args, "--data-dir", str(data), input=input)
        outputs.append(result.stdout + result.stderr)
        assert result.returncode == 0, f"portcullis {' '.join(args)}: {result.stderr}"
        return result.stdout

    cli("domain", "add", "alato.example", "--primary")
    cli("user", "add", TARO.address, "--password-stdin", input=TARO.password + "\n")
    cli("user", "add", "Jiro@ALATO.example", "--password-stdin", input="jiro-password-1\n")
    cli("alias", "add", "info@alato.example", TARO.address)
    assert cli("domain", "list").split() == ["alato.example", "primary"]
    assert cli("user", "list").splitlines() == [f"Jiro@alato.example\tenabled", f"{TARO.address}\tenabled"]
    assert "info@alato.example" in cli("alias", "list")
    cli("user", "disable", "jiro@alato.example")
    assert "Jiro@alato.example\tdisabled" in cli("user", "list")
    cli("user", "enable", "jiro@alato.example")
    cli("user", "passwd", "jiro@alato.example", "--password-stdin", input="jiro-password-2\n")
    assert "messages per hour: 5" in cli("user", "limits", TARO.address, "--messages-per-hour", "5")
    with open(data / "portcullis.toml", "a", encoding="utf-8") as config:
        config.write('\n[[access_networks]]\nname = "line"\nprefixes = ["203.0.113.0/24"]\nop25b = true\n')
    cli("op25b", "exempt", "add", "203.0.113.7", "--reason", "own mail server")
    assert "203.0.113.7/32" in cli("op25b", "exempt", "list")
    assert "nothing is blocked" in cli("security", "status")
    assert TARO.address in cli("mailbox", "list", TARO.address)
    assert "MX" in cli("dns-records", "alato.example")
    cli("alias", "remove", "info@alato.example")
    cli("user", "remove", "jiro@alato.example")
    assert "schema already at version 2" in cli("directory", "migrate")
    assert all(postgres.password not in output for output in outputs)


def test_two_nodes_one_database_password_file_and_serve(portcullis_bin: Path, postgres):
    database = postgres.create_database()
    migrated = run(portcullis_bin, "directory", "migrate", "--directory-url", postgres.url(database))
    assert migrated.returncode == 0, migrated.stderr

    first = PostgresNode("pg-node-a", portcullis_bin, f'[directory]\nurl = "{postgres.url(database)}"\n')
    second = PostgresNode("pg-node-b", portcullis_bin,
                          f'[directory]\nurl = "{postgres.url(database, password=False)}"\n'
                          'password_file = "secrets/directory-password"\npool_size = 3\n')
    first.initialise()
    second.initialise()
    (second.data_dir / "secrets").mkdir()
    (second.data_dir / "secrets" / "directory-password").write_text(postgres.password + "\n")
    try:
        first.provision()
        # The accounts made through node A are node B's accounts.
        listed = second.cli("user", "list").stdout
        assert f"{TARO.address}\tenabled" in listed
        second.start()
        with smtplib.SMTP_SSL("127.0.0.1", second.submissions_port, context=ssl._create_unverified_context(),
                              timeout=30) as client:
            client.ehlo("client.example")
            assert client.login(TARO.address, TARO.password)[0] == 235
            marker = unique_marker("pg")
            refused = client.sendmail(TARO.address, [TARO.address],
                                      make_message(TARO.address, [TARO.address], "via node B", marker))
            assert refused == {}
        second.stop()
        assert postgres.password not in second.log_path.read_text()
    finally:
        second.stop()
        first.stop()


def test_unmigrated_database_is_refused_and_concurrent_migrations_apply_once(portcullis_bin: Path, postgres):
    database = postgres.create_database()
    node = PostgresNode("pg-unmigrated", portcullis_bin, f'[directory]\nurl = "{postgres.url(database)}"\n')
    node.initialise()
    for args in (("serve",), ("user", "list")):
        result = node.cli(*args, check=False)
        line = one_line_error(result, postgres.password)
        assert "has no Portcullis schema; run `portcullis directory migrate`" in line, line

    url = postgres.url(database)
    runs = [subprocess.Popen([str(portcullis_bin), "directory", "migrate", "--directory-url", url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [process.communicate(timeout=CLI_TIMEOUT) for process in runs]
    assert [process.returncode for process in runs] == [0, 0], results
    said = sorted("applied" if "applied schema versions 1, 2; now at 2" in out else "current" if "already at version 2" in out else out
                  for out, _ in results)
    assert said == ["applied", "current"], results
    assert node.cli("user", "list").stdout == ""


def test_wrong_password_is_one_line_without_it(portcullis_bin: Path, postgres):
    database = postgres.create_database()
    wrong = postgres.url(database).replace(postgres.password, "not-the-password-42")
    line = one_line_error(run(portcullis_bin, "directory", "migrate", "--directory-url", wrong), "not-the-password-42")
    assert "password authentication failed" in line, line
    assert HOSTNAME not in line
