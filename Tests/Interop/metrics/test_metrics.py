"""The Prometheus endpoint (`[metrics] listen`) under real traffic.

One Portcullis with `[metrics] listen` on a free loopback port. Real clients (smtplib, poplib)
send a known amount of traffic: a message submitted after AUTH, a failed AUTH, a recipient
refused on port 25, a POP3 session. /metrics is scraped with urllib before and after, parsed
(the text format, by hand: a line is `name{label="value",...} number`), and each counter must
have moved by exactly that traffic. `promtool check metrics` must accept the scraped text,
`promtool check rules` the shipped alerting rules, and `promtool test rules` their unit tests;
/healthz and /readyz answer.
"""

from __future__ import annotations

import email.message
import json
import poplib
import re
import smtplib
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from interop_harness import (
    INSIDE,
    REPO,
    TARO,
    PortcullisServer,
    free_port,
    require_peer,
    wait_until,
)

RULES = REPO / "contrib" / "prometheus" / "portcullis-rules.yml"
RULE_TESTS = REPO / "contrib" / "prometheus" / "portcullis-rules.test.yml"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class MetricsPortcullis(PortcullisServer):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.metrics_port = 0

    def initialise(self, access_prefixes=(f"{INSIDE}/32",)) -> None:
        self.metrics_port = free_port()
        super().initialise(access_prefixes)

    def config_text(self, access_prefixes) -> str:
        return super().config_text(access_prefixes) + f'\n[metrics]\nlisten = ["{INSIDE}:{self.metrics_port}"]\n'

    def get(self, path: str) -> tuple[int, str, str]:
        """Status, content type and body of GET `path` on the metrics listener."""
        try:
            with urllib.request.urlopen(f"http://{INSIDE}:{self.metrics_port}{path}", timeout=10) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """Samples of the text exposition format, keyed by name and label set."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        samples[(name, frozenset(LABEL.findall(labels or "")))] = float(value)
    return samples


def value(samples, name: str, **labels) -> float:
    """A sample's value; a series not exported yet counts as 0."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture(scope="module")
def server():
    require_peer("promtool")
    instance = MetricsPortcullis("metrics")
    instance.initialise()
    instance.provision()
    instance.start()
    yield instance
    instance.stop()


def scrape(server: MetricsPortcullis) -> tuple[str, dict]:
    status, content_type, body = server.get("/metrics")
    assert status == 200, body
    assert content_type.startswith("text/plain; version=0.0.4"), content_type
    return body, parse(body)


def test_counters_move_by_exactly_the_traffic_sent(server):
    _, before = scrape(server)

    # Submission: STARTTLS, AUTH, one message accepted.
    with smtplib.SMTP(INSIDE, server.submission_port, timeout=30) as client:
        client.starttls(context=unverified())
        client.login(TARO.address, TARO.password)
        message = email.message.EmailMessage()
        message["From"], message["To"], message["Subject"] = TARO.address, "friend@example.net", "metrics"
        message.set_content("counted once\n")
        assert client.send_message(message) == {}

    # Submission: a wrong password (535), one AUTH PLAIN exchange (login() would go on to try
    # AUTH LOGIN after the 535: two attempts, and two are what the server would count).
    with smtplib.SMTP(INSIDE, server.submission_port, timeout=30) as client:
        client.starttls(context=unverified())
        client.ehlo()
        client.user, client.password = TARO.address, TARO.password + "-wrong"
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.auth("PLAIN", client.auth_plain)
        assert refused.value.smtp_code == 535

    # Port 25: a recipient the directory does not know (550), then QUIT without a message.
    with smtplib.SMTP(INSIDE, server.smtp_port, timeout=30) as client:
        client.ehlo("client.example.net")
        assert client.mail("someone@example.org")[0] == 250
        code, _ = client.rcpt("nobody-here@alato.example")
        assert code == 550

    # POP3: one session, open while the gauge is read.
    pop = poplib.POP3(INSIDE, server.pop3_port, timeout=30)
    try:
        _, during = scrape(server)
        assert value(during, "portcullis_pop3_sessions_active") == 1
    finally:
        pop.quit()

    # Sessions end on the server after the client's QUIT: wait for the gauges to settle.
    after = wait_until(lambda: (lambda s: s if all(
        value(s, "portcullis_smtp_sessions_active", service=service) == 0 for service in ("smtp", "submission")
    ) and value(s, "portcullis_pop3_sessions_active") == 0 else None)(scrape(server)[1]),
        "every session gauge back to 0")

    def moved(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("portcullis_smtp_connections_total", service="submission") == 2
    assert moved("portcullis_smtp_connections_total", service="smtp") == 1
    assert moved("portcullis_smtp_connections_total", service="submissions") == 0
    assert moved("portcullis_smtp_messages_accepted_total", service="submission") == 1
    assert moved("portcullis_smtp_messages_accepted_total", service="smtp") == 0
    assert moved("portcullis_smtp_messages_rejected_total", service="smtp", code="550") == 1
    rejected = {labels: v - before.get((name, labels), 0.0) for (name, labels), v in after.items()
                if name == "portcullis_smtp_messages_rejected_total"}
    assert sum(rejected.values()) == 1, rejected
    assert moved("portcullis_smtp_auth_total", service="submission", result="success") == 1
    assert moved("portcullis_smtp_auth_total", service="submission", result="failure") == 1
    assert moved("portcullis_smtp_auth_total", service="submission", result="temporary_failure") == 0
    for kind in ("rate_limited", "address_blocked", "account_locked", "account_held"):
        assert moved("portcullis_abuse_events_total", kind=kind) == 0, kind
    # The spool committed the message (one group commit at least).
    assert moved("portcullis_spool_commit_duration_seconds_count") >= 1
    # Delivery is paused by the harness: the message waits, active.
    assert value(after, "portcullis_queue_messages", state="active") == 1
    assert value(after, "portcullis_queue_messages", state="deferred") == 0
    assert value(after, "portcullis_queue_messages", state="held") == 0
    assert value(after, "portcullis_queue_oldest_message_age_seconds") >= 0


def test_a_deferred_delivery_is_counted_once(server):
    """Resumed, the queued message goes to the closed port that routes point at: deferred."""
    _, before = scrape(server)
    server.cli("queue", "resume")

    def deferred():
        _, samples = scrape(server)
        return samples if value(samples, "portcullis_queue_messages", state="deferred") == 1 else None

    after = wait_until(deferred, "the message deferred", timeout=60)
    moved = lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)
    assert moved("portcullis_delivery_attempts_total", transport="smtp", result="deferred") == 1
    assert moved("portcullis_delivery_attempts_total", transport="smtp", result="delivered") == 0
    assert moved("portcullis_delivery_duration_seconds_count") == 1
    assert value(after, "portcullis_queue_messages", state="active") == 0


def test_labels_carry_no_address_account_or_domain(server):
    text, samples = scrape(server)
    for name, labels in samples:
        for label, label_value in labels:
            assert "@" not in label_value and ".example" not in label_value, (name, label, label_value)
    assert "alato.example" not in text and "example.net" not in text


def test_process_metrics_are_exported(server):
    _, samples = scrape(server)
    assert value(samples, "process_open_fds") > 0
    assert value(samples, "process_resident_memory_bytes") > 0
    assert value(samples, "process_cpu_seconds_total") > 0
    start = value(samples, "process_start_time_seconds")
    assert time.time() - 3600 < start <= time.time()


def test_promtool_accepts_the_scraped_text(server):
    text, _ = scrape(server)
    result = subprocess.run([require_peer("promtool"), "check", "metrics"], input=text,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_alerting_rules():
    result = subprocess.run([require_peer("promtool"), "check", "rules", str(RULES)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_alerts_fire_when_they_should():
    """promtool's rule unit tests: each alert on synthetic series, and its quiet cases."""
    result = subprocess.run([require_peer("promtool"), "test", "rules", str(RULE_TESTS)],
                            capture_output=True, text=True, timeout=120, cwd=RULE_TESTS.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_health_and_readiness(server):
    status, _, body = server.get("/healthz")
    assert status == 200
    status, content_type, body = server.get("/readyz")
    assert status == 200, body
    assert content_type.startswith("application/json")
    assert json.loads(body)["ready"] is True
    _, samples = scrape(server)
    assert value(samples, "portcullis_ready") == 1
