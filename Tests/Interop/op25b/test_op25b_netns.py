"""Live proof of the OP25B rules: real TCP connections through a router in network namespaces.

Topology (documentation addresses only, RFC 5737 and RFC 3849), built fresh for each run with a
random suffix in every namespace name:

    subscriber ns                    router ns                         internet ns
    sub0 ─────────── veth ─────────── rs0   ri0 ─────────── veth ─────── net0
    203.0.113.10   subscriber         203.0.113.1       198.51.100.1     198.51.100.25  mail host
    203.0.113.70   exempt, no expiry  2001:db8:100::1   2001:db8:200::1  198.51.100.77  outside host
    203.0.113.71   exempt, expiring                                      2001:db8:200::25 / ::77
    192.0.2.10     not a subscriber         forwarding on,               listeners on 25 and 587
    192.0.2.130    "alato-biz" (op25b off)  rules applied here           (banner "220 ...")
    2001:db8:100::10/::70/::71, 2001:db8:400::10 (not a subscriber), 2001:db8:300::10 (alato-biz)

The rules come from the real CLI, as an operator would run it (DESIGN.md contract):
`portcullis init --data-dir D`, `[[access_networks]]` and `[op25b] mail_hosts` written into
D/portcullis.toml, `portcullis op25b exempt add PREFIX --reason TEXT [--until ISO8601] --data-dir D`,
`portcullis op25b render --format nftables|iptables --data-dir D` (the iptables output holds the
iptables-restore and the ip6tables-restore input, one `*filter ... COMMIT` block each),
`portcullis op25b explain --src A --dst B --port N --data-dir D` and `portcullis op25b stats`.
The scripts are loaded in the router namespace with `nft -f` or `iptables-restore` /
`ip6tables-restore`.

Needs root, iproute2, nftables, iptables and PORTCULLIS_BIN. Anything missing, or a machine that
forbids namespaces, FAILS the run with the reason; nothing is skipped. Namespaces and listener
processes are removed at the end even when a test fails.

    PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/op25b
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

import commands
from commands import run

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("PORTCULLIS_ARTIFACTS", REPO / "test-artifacts")) / "op25b"

# Seconds an expiring exemption lives after it is added. Long enough for the CLI to render the
# rules and the module to probe them while it is still active (checked, also on a loaded
# machine), short enough that the test waits little.
EXPIRY_SECONDS = 30
CONNECT_TIMEOUT = 3.0

CONFIG = textwrap.dedent(
    """
    [[access_networks]]
    name = "alato-express"
    prefixes = ["203.0.113.0/24", "2001:db8:100::/48"]
    op25b = true

    [[access_networks]]
    name = "alato-biz"
    prefixes = ["192.0.2.128/25", "2001:db8:300::/48"]
    op25b = false

    [op25b]
    mail_hosts = ["198.51.100.25", "2001:db8:200::25"]
    """
)

# Roles and their addresses per family.
SOURCES = {
    "subscriber": {4: "203.0.113.10", 6: "2001:db8:100::10"},
    "exempt": {4: "203.0.113.70", 6: "2001:db8:100::70"},
    "expiring": {4: "203.0.113.71", 6: "2001:db8:100::71"},
    "non-subscriber": {4: "192.0.2.10", 6: "2001:db8:400::10"},
    "op25b-off line": {4: "192.0.2.130", 6: "2001:db8:300::10"},
}
DESTINATIONS = {
    "mail host": {4: "198.51.100.25", 6: "2001:db8:200::25"},
    "outside host": {4: "198.51.100.77", 6: "2001:db8:200::77"},
}

# The notice, as a table: (source, destination, port) -> what a client sees.
# "refused" is the TCP reset of the reject rule (ECONNREFUSED at once, no timeout).
EXPECTED = {
    ("subscriber", "outside host", 25): "refused",
    ("subscriber", "mail host", 25): "connected",
    ("subscriber", "outside host", 587): "connected",
    ("subscriber", "mail host", 587): "connected",
    ("exempt", "outside host", 25): "connected",
    ("non-subscriber", "outside host", 25): "connected",
    ("non-subscriber", "outside host", 587): "connected",
    ("op25b-off line", "outside host", 25): "connected",
}

LISTENER = textwrap.dedent(
    r"""
    import socket, sys, threading
    def serve(port):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        s.listen(64)
        ready.release()
        while True:
            c, peer = s.accept()
            try:
                c.sendall(b"220 listener port %d ready\r\n" % port)
            finally:
                c.close()
    ready = threading.Semaphore(0)
    for p in (25, 587):
        threading.Thread(target=serve, args=(p,), daemon=True).start()
    for _ in range(2):
        ready.acquire()
    print("ready", flush=True)
    sys.stdin.read()
    """
)

PROBE = textwrap.dedent(
    r"""
    import errno, json, socket, sys
    results = []
    for src, dst, port, timeout in json.loads(sys.argv[1]):
        family = socket.AF_INET6 if ":" in dst else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.bind((src, 0))
            s.connect((dst, port))
            banner = s.recv(100)
            results.append("connected" if banner.startswith(b"220 listener") else "connected-no-banner")
        except ConnectionRefusedError:
            results.append("refused")
        except socket.timeout:
            results.append("timeout")
        except OSError as e:
            results.append("error: " + errno.errorcode.get(e.errno, str(e.errno)))
        finally:
            s.close()
    print(json.dumps(results))
    """
)


def require_tools() -> str:
    return commands.require_tools("OP25B live test", "network namespaces, nft, iptables",
                                  [("ip", "iproute2"), ("nft", "nftables"), ("iptables-restore", "iptables"),
                                   ("ip6tables-restore", "iptables")])


class Topology:
    """Three namespaces joined by veth pairs; removed by `destroy`, whatever state they are in."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:8]
        self.sub = f"pc-sub-{suffix}"
        self.router = f"pc-rtr-{suffix}"
        self.inet = f"pc-net-{suffix}"
        self.created: list[str] = []
        self.listener: subprocess.Popen | None = None

    def ns(self, name, *cmd, **kwargs):
        return run(["ip", "netns", "exec", name, *cmd], **kwargs)

    def create(self):
        for name in (self.sub, self.router, self.inet):
            result = run(["ip", "netns", "add", name], check=False)
            if result.returncode != 0:
                pytest.fail(f"cannot create network namespace {name} (does this machine forbid namespaces?): "
                            f"{result.stderr.strip()}")
            self.created.append(name)
        # Each veth end is created directly inside its namespace: no name clash with the host.
        run(["ip", "link", "add", "sub0", "netns", self.sub, "type", "veth", "peer", "name", "rs0", "netns", self.router])
        run(["ip", "link", "add", "net0", "netns", self.inet, "type", "veth", "peer", "name", "ri0", "netns", self.router])
        for name in (self.sub, self.router, self.inet):
            self.ns(name, "ip", "link", "set", "lo", "up")
            # No duplicate address detection: addresses are usable at once.
            self.ns(name, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        self.ns(self.router, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")

        def addr(name, dev, *addresses):
            for address in addresses:
                extra = ["nodad"] if ":" in address else []
                self.ns(name, "ip", "addr", "add", address, "dev", dev, *extra)
            self.ns(name, "ip", "link", "set", dev, "up")

        addr(self.sub, "sub0", "203.0.113.10/24", "203.0.113.70/24", "203.0.113.71/24", "192.0.2.10/32",
             "192.0.2.130/32", "2001:db8:100::10/64", "2001:db8:100::70/64", "2001:db8:100::71/64",
             "2001:db8:400::10/128", "2001:db8:300::10/128")
        addr(self.router, "rs0", "203.0.113.1/24", "2001:db8:100::1/64")
        addr(self.router, "ri0", "198.51.100.1/24", "2001:db8:200::1/64")
        addr(self.inet, "net0", "198.51.100.25/24", "198.51.100.77/24", "2001:db8:200::25/64", "2001:db8:200::77/64")
        self.ns(self.sub, "ip", "route", "add", "default", "via", "203.0.113.1")
        self.ns(self.sub, "ip", "-6", "route", "add", "default", "via", "2001:db8:100::1")
        self.ns(self.inet, "ip", "route", "add", "default", "via", "198.51.100.1")
        self.ns(self.inet, "ip", "-6", "route", "add", "default", "via", "2001:db8:200::1")
        # The other source ranges sit on the subscriber link too.
        self.ns(self.router, "ip", "route", "add", "192.0.2.0/24", "dev", "rs0")
        self.ns(self.router, "ip", "-6", "route", "add", "2001:db8:300::/48", "dev", "rs0")
        self.ns(self.router, "ip", "-6", "route", "add", "2001:db8:400::/48", "dev", "rs0")

        self.listener = subprocess.Popen(["ip", "netns", "exec", self.inet, sys.executable, "-c", LISTENER],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.listener.stdout.readline()
        if line.strip() != "ready":
            pytest.fail(f"listener in {self.inet} did not start: {line!r} {self.listener.stderr.read()}")

    def destroy(self):
        if self.listener is not None:
            self.listener.kill()
            self.listener.wait(timeout=10)
        for name in self.created:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)

    def probe(self, probes):
        """probes: [(source, destination, port)] -> outcomes, in one process inside the subscriber namespace."""
        payload = json.dumps([[s, d, p, CONNECT_TIMEOUT] for s, d, p in probes])
        result = self.ns(self.sub, sys.executable, "-c", PROBE, payload, timeout=60 + CONNECT_TIMEOUT * len(probes))
        return json.loads(result.stdout)

    def clear_firewall(self):
        # Both renderings live in the router's nftables (iptables here is iptables-nft).
        self.ns(self.router, "nft", "flush", "ruleset")


@dataclass
class Deployment:
    backend: str
    data_dir: Path
    binary: str
    topo: Topology
    expiring_until: datetime.datetime

    def cli(self, *args, check=True):
        return run([self.binary, *args, "--data-dir", str(self.data_dir)], check=check)

    def render_and_apply(self) -> str:
        if self.backend == "nftables":
            script = self.cli("op25b", "render", "--format", "nftables").stdout
            (self.data_dir / "op25b.nft").write_text(script)
            self.topo.ns(self.topo.router, "nft", "-f", "-", input=script)
            return script
        output = self.cli("op25b", "render", "--format", "iptables").stdout
        v4, v6 = split_iptables(output)
        (self.data_dir / "op25b.iptables").write_text(v4)
        (self.data_dir / "op25b.ip6tables").write_text(v6)
        self.topo.ns(self.topo.router, "iptables-restore", input=v4)
        self.topo.ns(self.topo.router, "ip6tables-restore", input=v6)
        return output

    def blocked_counters(self) -> dict:
        """Packets counted by the reject rule(s), per family where the backend tells them apart."""
        if self.backend == "nftables":
            listing = json.loads(self.topo.ns(self.topo.router, "nft", "-j", "list", "table", "inet",
                                              "portcullis_op25b").stdout)
            total = None
            offenders = {}
            for item in listing["nftables"]:
                rule = item.get("rule")
                if rule and rule.get("comment") == "portcullis-op25b-reject":
                    total = next(e["counter"]["packets"] for e in rule["expr"] if "counter" in e)
                entry = item.get("set")
                if entry and entry["name"] in ("offenders4", "offenders6"):
                    for element in entry.get("elem", []):
                        value = element["elem"]
                        offenders[value["val"]] = value["counter"]["packets"]
            assert total is not None, f"no reject rule with its comment in: {listing}"
            return {"total": total, "offenders": offenders}
        counts = {}
        for family, tool in ((4, "iptables"), (6, "ip6tables")):
            out = self.topo.ns(self.topo.router, tool, "-L", "PORTCULLIS-OP25B-REJECT", "-v", "-x", "-n").stdout
            rows = [line.split() for line in out.splitlines() if " REJECT " in f" {line} "]
            assert len(rows) == 1, f"expected one REJECT rule in {tool} output:\n{out}"
            counts[family] = int(rows[0][0])
        return {"total": counts[4] + counts[6], 4: counts[4], 6: counts[6]}


def split_iptables(output: str) -> tuple[str, str]:
    """The CLI prints the iptables-restore input, then the ip6tables-restore input."""
    blocks = re.findall(r"\*filter\n.*?\nCOMMIT\n", output, flags=re.S)
    assert len(blocks) == 2, f"expected two *filter ... COMMIT blocks in the iptables rendering:\n{output}"
    v4, v6 = blocks
    assert "203.0.113." in v4 and "2001:db8" not in v4, "first block is not the IPv4 table"
    assert "2001:db8:100::" in v6 and "203.0.113." not in v6, "second block is not the IPv6 table"
    return v4, v6


def rewrite_config(path: Path):
    """Drop any [[access_networks]] / [op25b] tables that `init` wrote, then append ours."""
    kept, skipping = [], False
    for line in path.read_text().splitlines():
        header = re.match(r"\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$", line)
        if header:
            name = header.group(1)
            skipping = name == "access_networks" or name == "op25b" or name.startswith("op25b.")
        if not skipping:
            kept.append(line)
    path.write_text("\n".join(kept) + "\n" + CONFIG)


@pytest.fixture(scope="module")
def topology():
    binary = require_tools()
    topo = Topology()
    try:
        topo.create()
        topo.binary = binary
        yield topo
    finally:
        topo.destroy()


@pytest.fixture(scope="module", params=["nftables", "iptables"])
def deployment(request, topology):
    backend = request.param
    topology.clear_firewall()
    data_dir = ARTIFACTS / f"{backend}-{uuid.uuid4().hex[:8]}"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    binary = topology.binary
    run([binary, "init", "--data-dir", str(data_dir), "--hostname", "mail.alato.example"])
    rewrite_config(data_dir / "portcullis.toml")
    until = (datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
             + datetime.timedelta(seconds=EXPIRY_SECONDS))
    deployment = Deployment(backend, data_dir, binary, topology, until)
    deployment.cli("op25b", "exempt", "add", "203.0.113.70/32", "--reason", "static business line, ticket 42")
    deployment.cli("op25b", "exempt", "add", "2001:db8:100::70/128", "--reason", "static business line, ticket 42")
    until_text = until.strftime("%Y-%m-%dT%H:%M:%SZ")
    deployment.cli("op25b", "exempt", "add", "203.0.113.71/32", "--reason", "trial", "--until", until_text)
    deployment.cli("op25b", "exempt", "add", "2001:db8:100::71/128", "--reason", "trial", "--until", until_text)
    rendered = deployment.render_and_apply()
    assert datetime.datetime.now(datetime.timezone.utc) < until, "rendering took longer than the exemption lives"
    assert "203.0.113.71/32" in rendered and "2001:db8:100::71/128" in rendered, \
        f"the expiring exemption is missing from the first rendering:\n{rendered}"
    yield deployment
    topology.clear_firewall()


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_connections_follow_the_notice(deployment, family):
    cases = sorted(EXPECTED.items())
    probes = [(SOURCES[s][family], DESTINATIONS[d][family], port) for (s, d, port), _ in cases]
    started = time.monotonic()
    outcomes = deployment.topo.probe(probes)
    elapsed = time.monotonic() - started
    wrong = [f"{s} {SOURCES[s][family]} -> {d} {DESTINATIONS[d][family]}:{port}: expected {want}, got {got}"
             for ((s, d, port), want), got in zip(cases, outcomes) if got != want]
    assert not wrong, f"[{deployment.backend}] " + "\n".join(wrong)
    # Refusals come from the reset, not a timeout: the whole batch is quick.
    assert elapsed < CONNECT_TIMEOUT, f"probes took {elapsed:.1f}s: something timed out instead of being reset"


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_explain_agrees_with_the_firewall(deployment, family):
    """`op25b explain` is the same decision function: its verdict matches what the kernel did."""
    wrong = []
    for (s, d, port), want in sorted(EXPECTED.items()):
        result = deployment.cli("op25b", "explain", "--src", SOURCES[s][family], "--dst", DESTINATIONS[d][family],
                                "--port", str(port))
        verdict = result.stdout.split()[0] if result.stdout.split() else ""
        expected = "blocked" if want == "refused" else "allowed"
        if verdict != expected:
            wrong.append(f"{s} -> {d}:{port}: explain said {result.stdout.strip()!r}, firewall {want}")
    assert not wrong, "\n".join(wrong)


def test_counters_count_blocked_attempts(deployment):
    before = deployment.blocked_counters()
    sub4, sub6 = SOURCES["subscriber"][4], SOURCES["subscriber"][6]
    out4, out6 = DESTINATIONS["outside host"][4], DESTINATIONS["outside host"][6]
    # Three IPv4 and two IPv6 blocked attempts, plus allowed traffic that must not be counted.
    probes = [(sub4, out4, 25)] * 3 + [(sub6, out6, 25)] * 2 + [(sub4, out4, 587), (sub4, DESTINATIONS["mail host"][4], 25)]
    outcomes = deployment.topo.probe(probes)
    assert outcomes == ["refused"] * 5 + ["connected"] * 2, outcomes
    after = deployment.blocked_counters()
    assert after["total"] - before["total"] == 5, f"reject counter: before {before}, after {after}"
    if deployment.backend == "nftables":
        # The dynamic sets name the offending subscriber addresses with their own counts.
        assert after["offenders"].get(sub4, 0) - before["offenders"].get(sub4, 0) == 3, after
        assert after["offenders"].get(sub6, 0) - before["offenders"].get(sub6, 0) == 2, after
        stats = run(["ip", "netns", "exec", deployment.topo.router, deployment.binary, "op25b", "stats"]).stdout
        assert f"{after['total']} packets" in stats, stats
        lines = [line.split() for line in stats.splitlines()[1:] if line.strip()]
        assert [sub4, str(after["offenders"][sub4])] in lines, stats
    else:
        assert after[4] - before[4] == 3 and after[6] - before[6] == 2, f"before {before}, after {after}"


def test_applying_twice_leaves_one_ruleset(deployment):
    deployment.render_and_apply()
    router = deployment.topo.router
    if deployment.backend == "nftables":
        tables = deployment.topo.ns(router, "nft", "list", "tables").stdout.split("\n")
        assert [t for t in tables if "portcullis_op25b" in t] == ["table inet portcullis_op25b"], tables
    else:
        for tool in ("iptables", "ip6tables"):
            rules = deployment.topo.ns(router, f"{tool}-save").stdout
            jumps = [line for line in rules.splitlines() if line.startswith("-A FORWARD") and "PORTCULLIS-OP25B" in line]
            assert len(jumps) == 1, f"{tool}: {jumps}"
    outcome = deployment.topo.probe([(SOURCES["subscriber"][4], DESTINATIONS["outside host"][4], 25),
                                     (SOURCES["subscriber"][6], DESTINATIONS["mail host"][6], 25)])
    assert outcome == ["refused", "connected"], outcome


def test_full_counting_sets_never_open_the_block(deployment):
    """The counting sets hold 65,536 entries. Filled to the brim (an outbreak on a big access
    network), a new source cannot be added: the block must hold all the same (fail closed)."""
    router = deployment.topo.router
    if deployment.backend != "nftables":
        # Nothing in the iptables rendering keeps state that can run out: no recent, hashlimit
        # or ipset match on the way to the REJECT.
        for tool in ("iptables", "ip6tables"):
            rules = deployment.topo.ns(router, f"{tool}-save").stdout
            ours = [line for line in rules.splitlines() if "PORTCULLIS-OP25B" in line]
            assert ours and not [line for line in ours if re.search(r"-m (recent|hashlimit|set)\b", line)], ours
        return
    # Documentation addresses only: every 2001:db8:ffff::/96 address for the IPv6 sources, and
    # every 192.0.2.x . 198.51.100.y pair for the IPv4 source-destination set.
    offenders = ", ".join(f"2001:db8:ffff::{n >> 8:x}:{n & 0xff:x}" for n in range(65536))
    pairs = ", ".join(f"192.0.2.{a} . 198.51.100.{b}" for a in range(256) for b in range(256))
    deployment.topo.ns(router, "nft", "-f", "-", input=(
        "flush set inet portcullis_op25b offenders6\nflush set inet portcullis_op25b attempts4\n"
        f"add element inet portcullis_op25b offenders6 {{ {offenders} }}\n"
        f"add element inet portcullis_op25b attempts4 {{ {pairs} }}\n"))
    full = deployment.topo.ns(router, "nft", "add", "element", "inet", "portcullis_op25b", "offenders6",
                              "{ 2001:db8:fffe::1 }", check=False)
    assert full.returncode != 0, "offenders6 took a 65,537th entry: the test did not fill it"
    outcome = deployment.topo.probe([(SOURCES["subscriber"][4], DESTINATIONS["outside host"][4], 25),
                                     (SOURCES["subscriber"][6], DESTINATIONS["outside host"][6], 25),
                                     (SOURCES["subscriber"][6], DESTINATIONS["mail host"][6], 25)])
    assert outcome == ["refused", "refused", "connected"], outcome
    deployment.render_and_apply()  # empty sets again for the scenarios after this one


def test_expired_exemption_blocks_again_after_rerender(deployment):
    """Runs last for each backend: it waits for the expiring exemption, then renders again."""
    expiring = [(SOURCES["expiring"][f], DESTINATIONS["outside host"][f], 25) for f in (4, 6)]
    permanent = [(SOURCES["exempt"][f], DESTINATIONS["outside host"][f], 25) for f in (4, 6)]
    # Rules loaded while the exemption was active let it through.
    assert deployment.topo.probe(expiring + permanent) == ["connected"] * 4
    wait = (deployment.expiring_until - datetime.datetime.now(datetime.timezone.utc)).total_seconds() + 1.5
    if wait > 0:
        time.sleep(wait)
    rendered = deployment.render_and_apply()
    assert "203.0.113.71/32" not in rendered and "2001:db8:100::71/128" not in rendered, rendered
    assert deployment.topo.probe(expiring + permanent) == ["refused", "refused", "connected", "connected"]
