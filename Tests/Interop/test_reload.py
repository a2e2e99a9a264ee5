"""`portcullis reload` (SIGHUP) against the real server: a renewed certificate is served to new
connections while a session opened before finishes its message; a new access network takes
effect for relay; a configuration that does not load is refused and the server goes on; keys
that need a restart are named in the log; without a server the command fails in one line.

Run: PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/test_reload.py
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from interop_harness import (CLI_TIMEOUT, INSIDE, OUTSIDE, TARO, PortcullisServer, ServerError, make_message,
                             portcullis_binary, unique_marker, wait_until)
from smtp_dialog import SMTPDialog


@pytest.fixture(scope="module")
def server():
    binary = portcullis_binary()
    instance = PortcullisServer("reload", binary)
    try:
        instance.initialise()
        instance.provision()
        instance.start()
    except ServerError as error:
        instance.stop()
        pytest.fail(str(error))
    yield instance
    instance.stop()


def fingerprint(server: PortcullisServer) -> str:
    """SHA-256 of the certificate a new implicit-TLS connection is shown."""
    with SMTPDialog(INSIDE, server.submissions_port, timeout=30) as s:
        s.handshake()
        return hashlib.sha256(s.sock.getpeercert(binary_form=True)).hexdigest()


def reload(server: PortcullisServer) -> None:
    result = server.cli("reload")
    assert "reload requested" in result.stdout


def log_mentions(server: PortcullisServer, text: str, after: int) -> bool:
    return text in server.log_path.read_text(encoding="utf-8", errors="replace")[after:]


def test_renewed_certificate_for_new_connections_while_an_open_session_completes(server, tmp_path):
    before = fingerprint(server)
    # A session in TLS before the renewal, logged in, mid-way.
    old = SMTPDialog(INSIDE, server.submission_port, timeout=30)
    old.greeting()
    old.ehlo()
    old.starttls()
    old.ehlo()
    old.expect(old.auth_plain(TARO.address, TARO.password), 235)
    old.expect(old.command(f"MAIL FROM:<{TARO.address}>"), 250)

    key, certificate = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", str(key), "-out", str(certificate), "-days", "30", "-subj", "/CN=renewed.example"],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    # As a renewal tool does: the new files replace the old ones under the same names.
    shutil.copy(key, server.data_dir / "tls" / "key.pem.new")
    shutil.copy(certificate, server.data_dir / "tls" / "cert.pem.new")
    (server.data_dir / "tls" / "key.pem.new").rename(server.data_dir / "tls" / "key.pem")
    (server.data_dir / "tls" / "cert.pem.new").rename(server.data_dir / "tls" / "cert.pem")
    assert fingerprint(server) == before, "the certificate changed before the reload"
    reload(server)
    expected = hashlib.sha256(subprocess.run(["openssl", "x509", "-in", str(certificate), "-outform", "DER"],
                                             capture_output=True, timeout=60).stdout).hexdigest()
    wait_until(lambda: fingerprint(server) == expected, "new connections shown the renewed certificate")

    marker = unique_marker("reload")
    old.expect(old.command(f"RCPT TO:<{TARO.address}>"), 250)
    old.expect(old.command("DATA"), 354)
    old.expect(old.send_data(make_message(TARO.address, [TARO.address], "across a reload", marker)), 250,
               what="the message of the session opened before the reload")
    old.close()


def test_a_new_access_network_takes_effect_for_relay(server):
    def relay_reply() -> int:
        with SMTPDialog(INSIDE, server.smtp_port, source=OUTSIDE, timeout=30) as s:
            s.greeting()
            s.ehlo()
            s.expect(s.command("MAIL FROM:<sender@example.org>"), 250)
            return s.command("RCPT TO:<someone@example.net>").code

    assert relay_reply() == 554, "an outside address relayed before it was an access network"
    config = server.data_dir / "portcullis.toml"
    text = config.read_text()
    config.write_text(text.replace(f'prefixes = ["{INSIDE}/32"]', f'prefixes = ["{INSIDE}/32", "{OUTSIDE}/32"]'))
    try:
        reload(server)
        wait_until(lambda: relay_reply() == 250, "relay from the newly added access network")
    finally:
        config.write_text(text)
        reload(server)
    wait_until(lambda: relay_reply() == 554, "relay refused again once the network is removed")


def test_a_configuration_that_does_not_load_is_refused_and_the_server_goes_on(server):
    config = server.data_dir / "portcullis.toml"
    text = config.read_text()
    mark = len(server.log_path.read_text(encoding="utf-8", errors="replace"))
    config.write_text(text + "\n[abuse]\nmessages_per_hour = \"many\"\n")
    try:
        reload(server)
        wait_until(lambda: log_mentions(server, "reload refused", mark), "the refusal in the log")
        assert log_mentions(server, "abuse.messages_per_hour", mark)
        with SMTPDialog(INSIDE, server.smtp_port, timeout=30) as s:
            s.expect(s.read_reply(), 220, what="greeting after a refused reload")
    finally:
        config.write_text(text)


def test_keys_that_need_a_restart_are_named(server):
    config = server.data_dir / "portcullis.toml"
    text = config.read_text()
    mark = len(server.log_path.read_text(encoding="utf-8", errors="replace"))
    config.write_text(text.replace("[smtp]\n", "[smtp]\ngreet_pause = 100\n", 1))
    try:
        reload(server)
        wait_until(lambda: log_mentions(server, "configuration reloaded", mark), "the reload in the log")
        assert log_mentions(server, "take effect only after a restart", mark)
        assert log_mentions(server, "keys=smtp", mark)
    finally:
        config.write_text(text)
        reload(server)


def test_reload_without_a_running_server_fails_in_one_line(tmp_path):
    binary = portcullis_binary()
    data = tmp_path / "data"
    created = subprocess.run([str(binary), "init", "--data-dir", str(data)], capture_output=True, text=True,
                             timeout=CLI_TIMEOUT)
    assert created.returncode == 0, created.stderr
    result = subprocess.run([str(binary), "reload", "--data-dir", str(data)], capture_output=True, text=True,
                            timeout=CLI_TIMEOUT)
    assert result.returncode != 0
    assert "no server is running" in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    # A pid file a killed server left, now naming a process that is not Portcullis.
    (data / "portcullis.pid").write_text("1\n")
    result = subprocess.run([str(binary), "reload", "--data-dir", str(data)], capture_output=True, text=True,
                            timeout=CLI_TIMEOUT)
    assert result.returncode != 0 and "is not `portcullis serve`" in result.stderr, result.stderr
