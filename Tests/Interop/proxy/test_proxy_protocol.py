"""The PROXY protocol behind a real HAProxy (TCP mode): the client address Portcullis uses is
the one the load balancer saw, never the load balancer's own.

One Portcullis with `proxy_protocol = true` on [smtp], [submission], [pop3] and [web],
`[limits] trusted_proxies = ["127.0.0.1/32"]` and 127.0.0.2/32 as the only access network.
A private `haproxy -f FILE -db` listens on its own loopback ports and connects to Portcullis
from 127.0.0.1 with `send-proxy` (v1) in front of port 25 and POP3, and `send-proxy-v2` in
front of 587, 465 and the web. Clients bind to 127.0.0.2 (a subscriber line) or 127.0.0.3
(the internet) before connecting to HAProxy. The negative cases talk to Portcullis directly
with raw sockets: from 127.0.0.1 (a trusted proxy) and from 127.0.0.4 (not one).
"""

from __future__ import annotations

import http.client
import json
import os
import poplib
import re
import signal
import socket
import struct
import subprocess
import time
import urllib.parse

import pytest

from interop_harness import (
    INSIDE,
    TARO,
    PortcullisServer,
    ServerError,
    check_spooled,
    free_port,
    make_message,
    require_peer,
    unique_marker,
    wait_until,
)
from smtp_dialog import SMTPDialog, tls_client_context

PROXY = "127.0.0.1"          # HAProxy's address as Portcullis sees it: the trusted proxy
SUBSCRIBER = "127.0.0.2"     # the only access network
INTERNET = "127.0.0.3"       # anywhere else
UNTRUSTED = "127.0.0.4"      # a direct client that is not a trusted proxy
HEADER_DEADLINE = 5.0        # ProxyProtocolSettings.defaultHeaderDeadline

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v1_header(source: str, port: int) -> bytes:
    return f"PROXY TCP4 {source} {PROXY} 40000 {port}\r\n".encode()


def v2_header(source: str, port: int, *, command: int = 0x21, tlvs: bytes = b"") -> bytes:
    block = socket.inet_aton(source) + socket.inet_aton(PROXY) + struct.pack("!HH", 40000, port) + tlvs
    return V2_SIGNATURE + bytes([command, 0x11]) + struct.pack("!H", len(block)) + block


class ProxiedPortcullis(PortcullisServer):
    """The harness's server with the PROXY protocol on every listener."""

    def config_text(self, access_prefixes):
        text = super().config_text(access_prefixes)
        for table in ("[smtp]", "[submission]", "[pop3]", "[web]"):
            text = text.replace(f"\n{table}\n", f"\n{table}\nproxy_protocol = true\n", 1)
        text = text.replace("\n[limits]\n", f'\n[limits]\ntrusted_proxies = ["{PROXY}/32"]\n', 1)
        assert text.count("proxy_protocol = true") == 4, text
        return text


class HAProxy:
    """A private HAProxy in TCP mode on free loopback ports, stopped by its PID."""

    def __init__(self, server: ProxiedPortcullis) -> None:
        self.binary = require_peer("haproxy")
        self.config = server.root / "haproxy.cfg"
        self.log = server.root / "haproxy.log"
        self.ports = {name: free_port() for name in ("smtp", "submission", "submissions", "pop3", "web")}
        backends = {
            "smtp": (server.smtp_port, "send-proxy"),
            "submission": (server.submission_port, "send-proxy-v2"),
            "submissions": (server.submissions_port, "send-proxy-v2"),
            "pop3": (server.pop3_port, "send-proxy"),
            "web": (server.web_port, "send-proxy-v2"),
        }
        sections = [
            "global\n    maxconn 256\n",
            "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n",
        ]
        for name, (port, option) in backends.items():
            sections.append(f"frontend fe_{name}\n    bind {INSIDE}:{self.ports[name]}\n    default_backend be_{name}\n")
            sections.append(f"backend be_{name}\n    source {PROXY}\n    server portcullis {INSIDE}:{port} {option}\n")
        self.config.write_text("\n".join(sections), encoding="utf-8")
        check = subprocess.run([self.binary, "-c", "-f", str(self.config)], capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise ServerError(f"haproxy -c refused {self.config}:\n{check.stdout}{check.stderr}")
        self._log_file = open(self.log, "w", encoding="utf-8")
        self.process = subprocess.Popen([self.binary, "-f", str(self.config), "-db"],
                                        stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT)
        for port in self.ports.values():
            wait_until(lambda port=port: self._listening(port), f"haproxy listening on {port}", timeout=20)

    def _listening(self, port: int) -> bool:
        if self.process.poll() is not None:
            raise ServerError(f"haproxy exited with {self.process.returncode}: {self.log.read_text()}")
        try:
            socket.create_connection((INSIDE, port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log_file.close()


@pytest.fixture(scope="module")
def proxied(portcullis_bin):
    server = ProxiedPortcullis("proxy-protocol", portcullis_bin)
    try:
        server.initialise(access_prefixes=(f"{SUBSCRIBER}/32",))
        server.provision()
        server.start()
    except ServerError as error:
        server.stop()
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def haproxy(proxied):
    proxy = HAProxy(proxied)
    yield proxy
    proxy.stop()


def relay_attempt(s: SMTPDialog, recipient: str = "someone@example.net"):
    s.greeting()
    s.ehlo("client.example")
    s.expect(s.command("MAIL FROM:<customer@example.org>"), 250, what="MAIL")
    return s.command(f"RCPT TO:<{recipient}>")


def send_message(s: SMTPDialog, sender: str, recipient: str, marker: str) -> str:
    s.expect(s.command(f"MAIL FROM:<{sender}>"), 250, what="MAIL")
    s.expect(s.command(f"RCPT TO:<{recipient}>"), 250, what="RCPT")
    s.expect(s.command("DATA"), 354, what="DATA")
    queued = s.expect(s.send_data(make_message(sender, [recipient], "via haproxy", marker)), 250, "2.0.0")
    assert queued.queue_id, s.fail("250 is not `Ok: queued as ID`")
    s.quit()
    return queued.queue_id


def received_from(server, queue_id: str, marker: str, protocols: tuple[str, ...]) -> str:
    spooled = check_spooled(server, queue_id, marker=marker, protocols=protocols)
    return spooled.header_values("Received")[0]


# -- through HAProxy ------------------------------------------------------------------------

def test_port25_v1_subscriber_relays_and_is_named_in_received(proxied, haproxy):
    marker = unique_marker("proxy-v1")
    with SMTPDialog(INSIDE, haproxy.ports["smtp"], source=SUBSCRIBER) as s:
        s.greeting()
        s.ehlo("client.example")
        queue_id = send_message(s, "customer@example.org", "someone@example.net", marker)
    received = received_from(proxied, queue_id, marker, ("ESMTP",))
    assert f"[{SUBSCRIBER}]" in received, received
    assert f"[{PROXY}]" not in received, received


def test_port25_v1_internet_client_may_not_relay(proxied, haproxy):
    with SMTPDialog(INSIDE, haproxy.ports["smtp"], source=INTERNET) as s:
        s.expect(relay_attempt(s), 554, "5.7.1", what="relay from outside the access networks")


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["587-starttls", "465-implicit-tls"])
def test_submission_v2_received_names_the_client(proxied, haproxy, implicit_tls):
    marker = unique_marker("proxy-v2")
    port = haproxy.ports["submissions" if implicit_tls else "submission"]
    with SMTPDialog(INSIDE, port, source=INTERNET, implicit_tls=implicit_tls) as s:
        if implicit_tls:
            s.greeting()
            s.ehlo()
            s.expect(s.auth_plain(TARO.address, TARO.password), 235, what="AUTH")
        else:
            s.login_submission(TARO.address, TARO.password)
        queue_id = send_message(s, TARO.address, "friend@example.net", marker)
    received = received_from(proxied, queue_id, marker, ("ESMTPSA",))
    assert f"[{INTERNET}]" in received, received
    assert f"[{PROXY}]" not in received, received


class BoundPOP3(poplib.POP3):
    """poplib's client, connecting from a chosen local address."""

    def __init__(self, host: str, port: int, source: str) -> None:
        self.source = source
        super().__init__(host, port, timeout=30)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self.source, 0))


def test_pop3_v1_session_is_logged_with_the_client(proxied, haproxy):
    client = BoundPOP3(INSIDE, haproxy.ports["pop3"], SUBSCRIBER)
    try:
        assert client.getwelcome().startswith(b"+OK")
        client.stls(context=tls_client_context())
        client.user(TARO.address)
        client.pass_(TARO.password)
        client.stat()
    finally:
        client.quit()
    pattern = re.compile(rf"client={re.escape(SUBSCRIBER)} proxy={re.escape(PROXY)} .*session opened")
    wait_until(lambda: any(pattern.search(line) and "service=pop3" in line
                           for line in proxied.log_path.read_text().splitlines()),
               "a POP3 `session opened` line naming the client and the proxy")


@pytest.mark.parametrize("source, line", [(SUBSCRIBER, "isp"), (INTERNET, "other")])
def test_web_v2_checker_detects_the_clients_line(proxied, haproxy, source, line):
    path = "/api/v1/check?" + urllib.parse.urlencode({"email": TARO.address})
    connection = http.client.HTTPConnection(INSIDE, haproxy.ports["web"], timeout=30, source_address=(source, 0))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 200, body
    assert json.loads(body)["line"] == line, body


# -- raw sockets straight to Portcullis -----------------------------------------------------

def raw(port: int, source: str) -> socket.socket:
    sock = socket.create_connection((INSIDE, port), timeout=15, source_address=(source, 0))
    return sock


def read_until_closed(sock: socket.socket, seconds: float) -> tuple[bytes, bool]:
    """Everything the server sends within `seconds`, and whether it closed the connection."""
    deadline = time.monotonic() + seconds
    received = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            return received, False
        except ConnectionResetError:
            return received, True
        if not chunk:
            return received, True
        received += chunk
    return received, False


def test_trusted_proxy_without_header_gets_no_greeting_and_is_closed(proxied):
    started = time.monotonic()
    with raw(proxied.smtp_port, PROXY) as sock:
        early, closed = read_until_closed(sock, HEADER_DEADLINE - 2)
        assert early == b"" and not closed, f"sent before any header: {early!r}"
        rest, closed = read_until_closed(sock, 10)
    assert rest == b"" and closed, f"not closed after the header deadline: {rest!r}"
    assert time.monotonic() - started >= HEADER_DEADLINE - 0.5


@pytest.mark.parametrize("sent", [
    b"EHLO client.example\r\n",                                  # an SMTP client, not a proxy
    b"PROXY TCP4 127.0.0.2 127.0.0.1 40000\r\n",                 # v1 with a field missing
    b"PROXY TCP4 127.0.0.2 127.0.0.1 40000 25\n",                # v1 with a bare LF
    V2_SIGNATURE[:11] + b"X" + b"\x21\x11\x00\x0c" + bytes(12),  # v2 with a wrong signature
    V2_SIGNATURE + b"\x21\x51\x00\x0c" + bytes(12),              # v2 with an unknown family
    V2_SIGNATURE + b"\x21\x11\x10\x00" + bytes(12),              # v2 announcing 4 KiB
], ids=["smtp", "v1-short", "v1-bare-lf", "v2-signature", "v2-family", "v2-oversized"])
def test_invalid_header_from_trusted_proxy_is_closed_at_once(proxied, sent):
    with raw(proxied.smtp_port, PROXY) as sock:
        sock.sendall(sent)
        received, closed = read_until_closed(sock, HEADER_DEADLINE - 1)
    assert received == b"" and closed, f"{sent!r}: got {received!r}, closed={closed}"


@pytest.mark.parametrize("sent", [
    b"PROXY TCP4 127.0.0.2 127.0.0.1 40",
    v2_header(SUBSCRIBER, 25)[:20],
], ids=["v1", "v2"])
def test_truncated_header_gets_no_greeting_and_is_closed(proxied, sent):
    with raw(proxied.smtp_port, PROXY) as sock:
        sock.sendall(sent)
        received, closed = read_until_closed(sock, HEADER_DEADLINE + 5)
    assert received == b"" and closed, f"got {received!r}, closed={closed}"


def test_v1_header_with_pipelined_smtp_loses_nothing(proxied):
    # The header, EHLO and the envelope in one segment, before the greeting.
    with SMTPDialog(INSIDE, proxied.smtp_port, source=PROXY) as s:
        s.send(v1_header(SUBSCRIBER, proxied.smtp_port)
               + b"EHLO client.example\r\nMAIL FROM:<customer@example.org>\r\nRCPT TO:<someone@example.net>\r\n")
        s.greeting()
        s.expect(s.read_reply(), 250, what="EHLO")
        s.expect(s.read_reply(), 250, what="MAIL")
        s.expect(s.read_reply(), 250, what="RCPT relayed for the subscriber the header names")


def test_v2_header_then_implicit_tls(proxied):
    marker = unique_marker("proxy-raw-465")
    with SMTPDialog(INSIDE, proxied.submissions_port, source=PROXY) as s:
        s.send(v2_header(SUBSCRIBER, proxied.submissions_port, tlvs=b"\x04\x00\x02ab"))
        s.handshake()
        s.greeting()
        s.ehlo()
        s.expect(s.auth_plain(TARO.address, TARO.password), 235, what="AUTH")
        queue_id = send_message(s, TARO.address, "friend@example.net", marker)
    assert f"[{SUBSCRIBER}]" in received_from(proxied, queue_id, marker, ("ESMTPSA",))


@pytest.mark.parametrize("header", [
    V2_SIGNATURE + b"\x20\x00\x00\x00",           # v2 LOCAL: HAProxy's health checks
    b"PROXY UNKNOWN\r\n",                          # v1 UNKNOWN
], ids=["v2-local", "v1-unknown"])
def test_local_and_unknown_use_the_connections_own_address(proxied, header):
    # 127.0.0.1 is the proxy's own address and not an access network: no relay.
    with SMTPDialog(INSIDE, proxied.smtp_port, source=PROXY) as s:
        s.send(header)
        s.expect(relay_attempt(s), 554, "5.7.1", what="relay as the proxy itself")


def test_header_from_untrusted_address_is_not_believed(proxied):
    # A direct client: greeted at once, and a PROXY line claiming the subscriber is refused.
    with SMTPDialog(INSIDE, proxied.smtp_port, source=UNTRUSTED) as s:
        s.greeting()
        s.send(v1_header(SUBSCRIBER, proxied.smtp_port))
        s.expect(s.read_reply(), 554, "5.7.0", what="PROXY line from an untrusted client")
        assert s.wait_closed(5), s.fail("not closed after refusing the PROXY line")
    with SMTPDialog(INSIDE, proxied.smtp_port, source=UNTRUSTED) as s:
        s.expect(relay_attempt(s), 554, "5.7.1", what="relay from an untrusted direct client")
