"""Live proof of the infected-line verdict: blocked attempts counted by the rendered nftables
rules, collected by `portcullis serve`, shown to the customer and the operator.

Topology (documentation addresses only, RFC 5737), fresh namespaces with a random suffix:

    subscriber ns                    router ns                          internet ns
    sub0 ─────────── veth ─────────── rs0   ri0 ─────────── veth ──────── net0
    203.0.113.10  infected           203.0.113.1        198.51.100.1     198.51.100.101 … .120
    203.0.113.20  clean              nft rules applied here;             (20 outside mail servers;
    2001:db8:100::10, ::11           `portcullis serve` with [op25b]     nothing listens: the
      one infected IPv6 /64          collect = true, the web on          block answers first)
                                     203.0.113.1:8080                    2001:db8:200::101 … ::120

The infected subscriber makes 150 port-25 connection attempts to the 20 outside addresses, the
clean one 5 to one address; two addresses of one IPv6 /64 make 120 and 30 attempts to 20
outside IPv6 addresses, which count as one subscriber. Every attempt is refused by the reject rule's TCP reset. The
collector (sample_interval = 1) reads `nft -j list set` in the router namespace, and then:
`portcullis op25b offenders` lists 203.0.113.10 only, the checker page fetched from
203.0.113.10 through the namespaces shows the notice (and from 203.0.113.20 does not), the JSON
API carries `lineSuspicious`, and the notice mail reaches the abuse contact's Maildir. Chromium,
run in the subscriber namespace, keeps a screenshot of the notice in test-artifacts.

Needs root, iproute2, nftables, curl, chromium and PORTCULLIS_BIN; anything missing FAILS the
run. Namespaces and every process started here are removed at the end, also on failure.

    PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/op25b/test_op25b_infected.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

import commands
from commands import run
from interop_harness import maildir_messages

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("PORTCULLIS_ARTIFACTS", REPO / "test-artifacts")) / "op25b-infected"

INFECTED = "203.0.113.10"
CLEAN = "203.0.113.20"
ROUTER_INSIDE = "203.0.113.1"
OUTSIDE = [f"198.51.100.{101 + i}" for i in range(20)]
INFECTED6 = ("2001:db8:100::10", "2001:db8:100::11")
SUBSCRIBER6 = "2001:db8:100::/64"
OUTSIDE6 = [f"2001:db8:200::{101 + i}" for i in range(20)]
WEB = f"http://{ROUTER_INSIDE}:8080"
WEB6 = "http://[2001:db8:100::1]:8080"
ABUSE_CONTACT = "abuse@alato.example"
WAIT = 30.0  # seconds for anything asynchronous (a sample, a delivery); polled, never slept out

CONFIG = textwrap.dedent(
    f"""
    [[access_networks]]
    name = "alato-express"
    prefixes = ["203.0.113.0/24", "2001:db8:100::/48"]
    op25b = true

    [op25b]
    mail_hosts = ["198.51.100.25"]
    collect = true
    sample_interval = 1

    [abuse]
    postmaster = "{ABUSE_CONTACT}"

    [web]
    listen = ["{ROUTER_INSIDE}:8080", "[2001:db8:100::1]:8080"]
    """
)

# Connection attempts from one source, each answered by a reset (or an error, also counted).
ATTEMPTS = textwrap.dedent(
    r"""
    import json, socket, sys
    source, targets = sys.argv[1], json.loads(sys.argv[2])
    outcomes = {}
    for destination in targets:
        s = socket.socket(socket.AF_INET6 if ":" in source else socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.bind((source, 0))
            s.connect((destination, 25))
            outcome = "connected"
        except ConnectionRefusedError:
            outcome = "refused"
        except OSError as e:
            outcome = type(e).__name__
        finally:
            s.close()
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(json.dumps(outcomes))
    """
)


def wait_until(predicate, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def require_tools() -> str:
    return commands.require_tools("infected-line test", "network namespaces, nft",
                                  [("ip", "iproute2"), ("nft", "nftables"), ("curl", "curl"), ("chromium", "chromium")])


class Scenario:
    """Namespaces, the ruleset, the data directory and the server; `destroy` removes them all."""

    def __init__(self, binary: str):
        suffix = uuid.uuid4().hex[:8]
        self.binary = binary
        self.sub, self.router, self.inet = f"pc-isub-{suffix}", f"pc-irtr-{suffix}", f"pc-inet-{suffix}"
        self.created: list[str] = []
        self.data_dir = ARTIFACTS / f"data-{suffix}"
        self.server: subprocess.Popen | None = None
        self.log: list[str] = []
        self.reader: threading.Thread | None = None

    def ns(self, name, *cmd, **kwargs):
        return run(["ip", "netns", "exec", name, *cmd], **kwargs)

    def cli(self, *args, **kwargs):
        return run([self.binary, *args, "--data-dir", str(self.data_dir)], **kwargs)

    def create(self):
        for name in (self.sub, self.router, self.inet):
            result = run(["ip", "netns", "add", name], check=False)
            if result.returncode != 0:
                pytest.fail(f"cannot create network namespace {name}: {result.stderr.strip()}")
            self.created.append(name)
        run(["ip", "link", "add", "sub0", "netns", self.sub, "type", "veth", "peer", "name", "rs0", "netns", self.router])
        run(["ip", "link", "add", "net0", "netns", self.inet, "type", "veth", "peer", "name", "ri0", "netns", self.router])
        for name in (self.sub, self.router, self.inet):
            self.ns(name, "ip", "link", "set", "lo", "up")
        self.ns(self.router, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        # The infected address first: it is the namespace's source address for Chromium and curl.
        for address in (f"{INFECTED}/24", f"{CLEAN}/24"):
            self.ns(self.sub, "ip", "addr", "add", address, "dev", "sub0")
        for address in INFECTED6:
            self.ns(self.sub, "ip", "addr", "add", f"{address}/64", "dev", "sub0", "nodad")
        self.ns(self.sub, "ip", "link", "set", "sub0", "up")
        self.ns(self.router, "ip", "addr", "add", f"{ROUTER_INSIDE}/24", "dev", "rs0")
        self.ns(self.router, "ip", "addr", "add", "2001:db8:100::1/64", "dev", "rs0", "nodad")
        self.ns(self.router, "ip", "addr", "add", "198.51.100.1/24", "dev", "ri0")
        self.ns(self.router, "ip", "addr", "add", "2001:db8:200::1/64", "dev", "ri0", "nodad")
        self.ns(self.router, "ip", "link", "set", "rs0", "up")
        self.ns(self.router, "ip", "link", "set", "ri0", "up")
        for address in OUTSIDE:
            self.ns(self.inet, "ip", "addr", "add", f"{address}/24", "dev", "net0")
        for address in OUTSIDE6:
            self.ns(self.inet, "ip", "addr", "add", f"{address}/64", "dev", "net0", "nodad")
        self.ns(self.inet, "ip", "link", "set", "net0", "up")
        self.ns(self.sub, "ip", "route", "add", "default", "via", ROUTER_INSIDE)
        self.ns(self.sub, "ip", "-6", "route", "add", "default", "via", "2001:db8:100::1")
        self.ns(self.inet, "ip", "route", "add", "default", "via", "198.51.100.1")
        self.ns(self.inet, "ip", "-6", "route", "add", "default", "via", "2001:db8:200::1")

    def configure(self):
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.cli("init", "--hostname", "mail.alato.example")
        config = self.data_dir / "portcullis.toml"
        kept, skipping = [], False
        for line in config.read_text().splitlines():
            header = re.match(r"\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$", line)
            if header:
                skipping = header.group(1) in ("access_networks", "op25b", "abuse", "web")
            if not skipping:
                kept.append(line)
        config.write_text("\n".join(kept) + "\n" + CONFIG)
        self.cli("domain", "add", "alato.example")
        self.cli("user", "add", ABUSE_CONTACT, "--password-stdin", input="a-long-password-1\n")
        script = self.cli("op25b", "render", "--format", "nftables").stdout
        (self.data_dir / "op25b.nft").write_text(script)
        self.ns(self.router, "nft", "-f", "-", input=script)

    def start_server(self):
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", self.router, self.binary, "serve", "--data-dir", str(self.data_dir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)

        def read():
            for line in self.server.stdout:
                self.log.append(line)

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        wait_until(lambda: any(line.strip() == "ready" for line in self.log) or self.server.poll() is not None,
                   "serve to print ready")
        assert self.server.poll() is None, "serve exited:\n" + "".join(self.log)
        # Attempts before the baseline would not count (the collector's first sample only sets it).
        wait_until(lambda: any("counter baseline taken" in line for line in self.log), "the collector's baseline")

    def destroy(self):
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(10)
        if self.reader is not None:
            self.reader.join(5)
        if self.log:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            (self.data_dir / "serve.log").write_text("".join(self.log))
        for name in self.created:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)

    def warm_up(self):
        """Neighbour entries both ways before counting: a reset sent while the router still
        resolves the subscriber's address can be lost, and the retransmitted SYN would count twice."""
        for source, web in ((INFECTED, WEB), (CLEAN, WEB), (INFECTED6[0], WEB6), (INFECTED6[1], WEB6)):
            assert self.ns(self.sub, "curl", "-sS", "--max-time", "10", "--interface", source, web + "/healthz").stdout.strip() == "ok"

    def attempts(self, source: str, targets: list[str]) -> dict:
        result = self.ns(self.sub, sys.executable, "-c", ATTEMPTS, source, json.dumps(targets), timeout=300)
        return json.loads(result.stdout)

    def http(self, source: str, path: str) -> str:
        return self.ns(self.sub, "curl", "-sS", "--max-time", "10", "--interface", source, WEB + path).stdout

    def offenders(self, *args) -> list[dict]:
        return json.loads(self.cli("op25b", "offenders", "--json", *args).stdout)

    def maildir(self, account: str) -> list[str]:
        return maildir_messages(self.data_dir, account)


@pytest.fixture(scope="module")
def scenario():
    scenario = Scenario(require_tools())
    try:
        scenario.create()
        scenario.configure()
        scenario.start_server()
        scenario.warm_up()
        # 150 attempts to 20 destinations (8 to the first ten, 7 to the others); 5 to one.
        infected_targets = [OUTSIDE[i] for i in range(20) for _ in range(8 if i < 10 else 7)]
        assert len(infected_targets) == 150
        assert scenario.attempts(INFECTED, infected_targets) == {"refused": 150}
        assert scenario.attempts(CLEAN, [OUTSIDE[0]] * 5) == {"refused": 5}
        # One IPv6 /64: 120 attempts from one address, 30 from another, 20 destinations.
        assert scenario.attempts(INFECTED6[0], [OUTSIDE6[i] for i in range(20) for _ in range(6)]) == {"refused": 120}
        assert scenario.attempts(INFECTED6[1], OUTSIDE6[:15] * 2) == {"refused": 30}
        # The collector samples every second: wait until it has seen every attempt.
        expected = {INFECTED: 150, SUBSCRIBER6: 150, CLEAN: 5}
        wait_until(lambda: {row["address"]: row["attempts"] for row in scenario.offenders("--all")} == expected,
                   f"op25b offenders --all to count {expected}")
        yield scenario
    finally:
        scenario.destroy()


def test_the_rules_count_attempts_per_source_and_destination(scenario: Scenario):
    listing = json.loads(scenario.ns(scenario.router, "nft", "-j", "list", "set", "inet", "portcullis_op25b",
                                     "attempts4").stdout)
    elements = next(item["set"] for item in listing["nftables"] if "set" in item).get("elem", [])
    counts = {tuple(e["elem"]["val"]["concat"]): e["elem"]["counter"]["packets"] for e in elements}
    assert sum(n for (source, _), n in counts.items() if source == INFECTED) == 150, counts
    assert len([1 for (source, _) in counts if source == INFECTED]) == 20, counts
    assert counts.get((CLEAN, OUTSIDE[0])) == 5, counts


def test_the_collector_flags_the_infected_line_only(scenario: Scenario):
    flagged = scenario.offenders()
    assert sorted(row["address"] for row in flagged) == sorted([INFECTED, SUBSCRIBER6]), flagged
    row = next(row for row in flagged if row["address"] == INFECTED)
    assert row["attempts"] == 150 and row["destinations"] == 20, row
    assert row["accessNetwork"] == "alato-express" and row["probablyInfected"] is True, row
    assert row["firstSeen"] <= row["lastSeen"], row
    # The clean line is counted, not flagged.
    everyone = {r["address"]: r for r in scenario.offenders("--all")}
    assert everyone[CLEAN]["attempts"] == 5 and everyone[CLEAN]["probablyInfected"] is False, everyone
    # The two IPv6 addresses are one subscriber: their /64.
    row6 = next(row for row in flagged if row["address"] == SUBSCRIBER6)
    assert row6["attempts"] == 150 and row6["destinations"] == 20, row6
    table = scenario.cli("op25b", "offenders", "--since", "1h").stdout
    assert INFECTED in table and CLEAN not in table and "alato-express" in table, table


def test_the_checker_tells_the_infected_customer(scenario: Scenario):
    page = scenario.http(INFECTED, "/?lang=en")
    assert 'id="line-suspicious"' in page, page
    assert "A device on your internet line is probably infected" in page
    assert f"({INFECTED})" in page and "150 attempts" in page and "20 different mail servers" in page
    for step in ("Update the operating system", "Change your mail passwords", "Contact our support"):
        assert step in page, step
    assert CLEAN not in page and OUTSIDE[0] not in page
    japanese = scenario.http(INFECTED, "/")
    assert "ウイルスに感染している可能性があります" in japanese
    api = json.loads(scenario.http(INFECTED, "/api/v1/check?email=taro%40alato.example"))
    suspicious = api["lineSuspicious"]
    assert suspicious["clientAddress"] == INFECTED and suspicious["attempts"] == 150, api
    assert suspicious["destinations"] == 20 and suspicious["verdict"] == "probably-infected", api


def test_the_checker_tells_every_address_of_the_infected_ipv6_subscriber(scenario: Scenario):
    for address in INFECTED6:
        page = scenario.ns(scenario.sub, "curl", "-sS", "--max-time", "10", "--interface", address,
                           WEB6 + "/?lang=en").stdout
        assert 'id="line-suspicious"' in page and f"({address})" in page, page
        assert "150 attempts" in page and "20 different mail servers" in page, page


def test_the_clean_customer_sees_nothing_new(scenario: Scenario):
    page = scenario.http(CLEAN, "/?lang=en")
    assert "line-suspicious" not in page and "probably infected" not in page, page
    api = json.loads(scenario.http(CLEAN, "/api/v1/check?email=taro%40alato.example"))
    assert "lineSuspicious" not in api, api


def test_the_abuse_contact_gets_one_notice(scenario: Scenario):
    mails = wait_until(lambda: len(scenario.maildir(ABUSE_CONTACT)) >= 2 and scenario.maildir(ABUSE_CONTACT),
                       "the notices in the abuse contact's Maildir")
    assert len(mails) == 2, mails
    notice = next(mail for mail in mails if f"line {INFECTED}:" in mail)
    # Flagged by the sample that first saw more than 100 attempts: the count is that sample's.
    assert any(re.search(rf"Subject: Probably infected subscriber line {re.escape(SUBSCRIBER6)}: 1[0-5][0-9] blocked", mail)
               for mail in mails), mails
    assert f"Subject: Probably infected subscriber line {INFECTED}: 150 blocked port-25 attempts" in notice, notice
    assert "Auto-Submitted: auto-generated" in notice and "(access network alato-express)" in notice, notice
    assert CLEAN not in notice
    # Later samples keep counting but send no second notice the same day.
    time.sleep(3)
    assert len(scenario.maildir(ABUSE_CONTACT)) == 2


def test_chromium_screenshot_of_the_notice(scenario: Scenario):
    for language in ("en", "ja"):
        path = ARTIFACTS / f"checker-infected-line-{language}.png"
        profile = ARTIFACTS / "profiles" / path.stem
        shutil.rmtree(profile, ignore_errors=True)
        path.unlink(missing_ok=True)
        result = scenario.ns(
            scenario.sub, shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", f"--lang={language}", f"--user-data-dir={profile}", "--hide-scrollbars",
            "--window-size=900,1400", f"--screenshot={path}", f"{WEB}/?lang={language}", check=False, timeout=120)
        assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"no PNG at {path}"
