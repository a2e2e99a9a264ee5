"""DKIM interop: messages signed by Portcullis' Swift DKIM module verify with dkimpy.

What this proves:
  * rsa-sha256 and ed25519-sha256 (RFC 8463) signatures, and dual-signed mail,
    verify with dkimpy, an independent implementation, for 4 KiB and 1 MiB bodies;
  * the TXT records the module renders (character-strings of at most 255 octets)
    are what dkimpy needs: the DNS hook returns them exactly as published;
  * a message altered after signing FAILS, so the verifier can fail (altered
    body, altered signed header, a From or To added: the oversigned h= at work),
    while changes DKIM allows (new trace fields, unsigned fields, white space
    under relaxed canonicalization) still pass;
  * the key files are PKCS#8 PEM that OpenSSL reads, with the published p=.

How the signatures get here: the Swift test suite `DKIMFixtures`
(Tests/DKIMTests/DKIMFixtures.swift) writes freshly signed messages, the key
store and a zone file when PORTCULLIS_DKIM_FIXTURES names a directory. This
test runs it on an already built package:

    swift build --build-tests            # once, in the package
    scripts/install-test-deps            # dkimpy and PyNaCl into .venv-test
    .venv-test/bin/python -m pytest Tests/Interop/dkim

which executes

    PORTCULLIS_DKIM_FIXTURES=<tmp> swift test --skip-build --filter DKIMFixtures

in the package directory (PORTCULLIS_SWIFT_PACKAGE, default: this repository).
PORTCULLIS_SWIFT_BUILD_PATH passes --build-path for a package built elsewhere.
PORTCULLIS_DKIM_FIXTURES_DIR instead points at fixtures written earlier.
Nothing here skips silently: a missing build or missing fixtures fail the test.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

try:
    import dkim
    import nacl.signing  # dkimpy needs PyNaCl for ed25519-sha256
except ImportError as missing:  # a missing peer fails every scenario by name, never skips
    dkim = None
    MISSING_PEER = f"{missing.name} is not installed: scripts/install-test-deps puts it in .venv-test"
else:
    MISSING_PEER = None

REPO = Path(__file__).resolve().parents[3]
SCENARIOS = ["rsa-4k", "rsa-1m", "ed25519-4k", "ed25519-1m", "dual-4k", "dual-1m"]


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory) -> Path:
    if MISSING_PEER:
        pytest.fail(MISSING_PEER)
    given = os.environ.get("PORTCULLIS_DKIM_FIXTURES_DIR")
    if given:
        return Path(given)
    package = Path(os.environ.get("PORTCULLIS_SWIFT_PACKAGE", REPO))
    out = tmp_path_factory.mktemp("dkim-fixtures")
    command = ["swift", "test", "--skip-build", "--filter", "DKIMFixtures"]
    if os.environ.get("PORTCULLIS_SWIFT_BUILD_PATH"):
        command += ["--build-path", os.environ["PORTCULLIS_SWIFT_BUILD_PATH"]]
    env = dict(os.environ, PORTCULLIS_DKIM_FIXTURES=str(out))
    run = subprocess.run(command, cwd=package, env=env, capture_output=True, text=True, timeout=600)
    if run.returncode != 0 or not (out / "scenarios.txt").exists():
        pytest.fail(
            "the Swift fixture writer did not run; build the tests first "
            f"(swift build --build-tests in {package}).\n"
            f"$ {' '.join(command)}\nexit {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        )
    return out


def parse_zone(text: str) -> dict:
    """Zone lines `name IN TXT "a" "b"` -> {name: joined text}; checks the 255-octet limit."""
    records = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        match = re.fullmatch(r'(\S+) IN TXT((?: "[^"]*")+)', line)
        assert match, f"not a TXT zone line: {line!r}"
        strings = re.findall(r'"([^"]*)"', match.group(2))
        for s in strings:
            assert len(s.encode()) <= 255, "character-string over 255 octets (RFC 1035 §3.3)"
        # One record per name: two TXT key records at one selector break verifiers.
        assert match.group(1) not in records, f"two records for {match.group(1)}"
        records[match.group(1)] = "".join(strings)
    return records


@pytest.fixture(scope="session")
def records(fixtures) -> dict:
    return parse_zone((fixtures / "records.zone").read_text())


@pytest.fixture(scope="session")
def dnsfunc(records):
    looked_up = []

    def lookup(name, timeout=5):
        key = name.decode() if isinstance(name, bytes) else name
        looked_up.append(key)
        value = records.get(key)
        return value.encode() if value is not None else None

    lookup.looked_up = looked_up
    return lookup


def message(fixtures: Path, scenario: str) -> bytes:
    path = fixtures / f"{scenario}.eml"
    assert path.exists(), f"fixture {path} missing"
    return path.read_bytes()


def signature_algorithms(msg: bytes) -> list:
    """The a= tag of each DKIM-Signature field, top to bottom."""
    header = msg.split(b"\r\n\r\n", 1)[0]
    unfolded = re.sub(rb"\r\n[ \t]", b" ", header)
    algorithms = []
    for line in unfolded.split(b"\r\n"):
        if line.lower().startswith(b"dkim-signature:"):
            algorithms.append(re.search(rb"\ba=([a-z0-9-]+)", line).group(1).decode())
    return algorithms


def verify_all(msg: bytes, dnsfunc) -> list:
    """dkimpy's verdict for each signature; dkimpy reports some failures (body
    hash mismatch) by raising, which counts as a failed verification."""
    count = len(signature_algorithms(msg))
    results = []
    for i in range(count):
        try:
            results.append(bool(dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc)))
        except dkim.DKIMException:
            results.append(False)
    return results


def test_fixture_set_is_complete(fixtures):
    listed = [line.split() for line in (fixtures / "scenarios.txt").read_text().splitlines() if line]
    assert [name for name, _ in listed] == SCENARIOS
    for name in SCENARIOS:
        size = len(message(fixtures, name))
        assert size > (1024 * 1024 if name.endswith("1m") else 4096)


def test_records_are_split_and_typed(fixtures, records):
    assert set(records) == {
        "rsa2025._domainkey.alato.example.",
        "ed2025._domainkey.alato.example.",
        "mail-rsa._domainkey.virtual.example.",
        "mail-ed25519._domainkey.virtual.example.",
    }
    for name, text in records.items():
        kind = "ed25519" if "ed" in name.split(".")[0] else "rsa"
        assert text.startswith(f"v=DKIM1; k={kind}; p=")
    # A 2048-bit RSA record is longer than one character-string: it must be split.
    zone = (fixtures / "records.zone").read_text()
    rsa_line = next(line for line in zone.splitlines() if line.startswith("rsa2025."))
    assert rsa_line.count('" "') == 1


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_dkimpy_verifies(fixtures, dnsfunc, scenario):
    msg = message(fixtures, scenario)
    algorithms = signature_algorithms(msg)
    expected = {"rsa": ["rsa-sha256"], "ed25519": ["ed25519-sha256"], "dual": ["rsa-sha256", "ed25519-sha256"]}
    assert algorithms == expected[scenario.split("-")[0]]
    assert verify_all(msg, dnsfunc) == [True] * len(algorithms)


# Alterations after signing that must break every signature. The "above"
# insertions test oversigning: RFC 6376 §5.4.2 takes instances bottom-up, so a
# field added above the original is only caught because h= lists the name once
# more than it occurs. (dkimpy itself adds an extra "from" when verifying, so
# the To and Subject cases are the ones that prove our h= does it.)
BREAKING = {
    "body word changed": lambda m: replace_in_body(m, b"port", b"p0rt"),
    "body line appended": lambda m: m + b"P.S. wire the money\r\n",
    "signed Subject changed": lambda m: m.replace(b"Subject: Fixture", b"Subject: Urgent", 1),
    "signed Cc changed": lambda m: m.replace(b"Cc: list@example.org", b"Cc: evil@example.org", 1),
    "From added above (oversigned)": lambda m: insert_before(m, b"From: Sender", b"From: ceo@example.org\r\n"),
    "To added above (oversigned)": lambda m: insert_before(m, b"To: Taro", b"To: extra@example.org\r\n"),
    "Subject added above (oversigned)": lambda m: insert_before(m, b"Subject: Fixture", b"Subject: Wire money now\r\n"),
    "To added at the bottom": lambda m: insert_before(m, b"\r\n\r\n", b"\r\nTo: extra@example.org"),
}

# Changes DKIM allows: trace fields on top, unsigned fields, relaxed white space.
TOLERATED = {
    "Received added on top": lambda m: b"Received: from mail.alato.example by mx.example.net; Thu, 2 Jan 2025 03:05:00 +0000\r\n" + m,
    "unsigned field changed": lambda m: m.replace(b"X-Unsigned: not covered", b"X-Unsigned: rewritten by a relay", 1),
    "signed field refolded": lambda m: m.replace(b"Cc: list@example.org", b"Cc:   list@example.org \t", 1),
    "trailing white space and blank lines in body": lambda m: add_trailing_space(m),
}


def replace_in_body(m: bytes, old: bytes, new: bytes) -> bytes:
    head, body = m.split(b"\r\n\r\n", 1)
    assert old in body
    return head + b"\r\n\r\n" + body.replace(old, new, 1)


def insert_before(m: bytes, anchor: bytes, text: bytes) -> bytes:
    position = m.index(anchor)
    return m[:position] + text + m[position:]


def add_trailing_space(m: bytes) -> bytes:
    head, body = m.split(b"\r\n\r\n", 1)
    lines = body.split(b"\r\n")
    lines = [line + b" \t" if i % 3 == 0 and line else line for i, line in enumerate(lines)]
    return head + b"\r\n\r\n" + b"\r\n".join(lines) + b"\r\n\r\n\r\n"


@pytest.mark.parametrize("scenario", ["rsa-4k", "ed25519-4k", "dual-4k", "dual-1m"])
@pytest.mark.parametrize("alteration", list(BREAKING))
def test_altered_message_fails(fixtures, dnsfunc, scenario, alteration):
    original = message(fixtures, scenario)
    altered = BREAKING[alteration](original)
    assert altered != original
    results = verify_all(altered, dnsfunc)
    assert results and not any(results), f"{alteration}: dkimpy still verified {results}"


@pytest.mark.parametrize("scenario", ["rsa-4k", "ed25519-4k", "dual-4k"])
@pytest.mark.parametrize("change", list(TOLERATED))
def test_tolerated_change_still_verifies(fixtures, dnsfunc, scenario, change):
    original = message(fixtures, scenario)
    changed = TOLERATED[change](original)
    assert changed != original
    assert all(verify_all(changed, dnsfunc))


@pytest.mark.parametrize("scenario,impostor", [
    ("rsa-4k", "mail-rsa._domainkey.virtual.example."),
    ("ed25519-4k", "mail-ed25519._domainkey.virtual.example."),
])
def test_wrong_key_fails(fixtures, records, scenario, impostor):
    """Another key of the same kind served under the right name: the signature must not verify."""
    msg = message(fixtures, scenario)

    def lookup(name, timeout=5):
        return records[impostor].encode()

    assert verify_all(msg, lookup) == [False]


def test_dns_hook_was_asked_for_published_names(fixtures, dnsfunc):
    dnsfunc.looked_up.clear()
    verify_all(message(fixtures, "dual-4k"), dnsfunc)
    assert dnsfunc.looked_up == [
        "mail-rsa._domainkey.virtual.example.",
        "mail-ed25519._domainkey.virtual.example.",
    ]


def test_key_files_are_pkcs8_that_openssl_reads(fixtures, records):
    import base64

    openssl = shutil.which("openssl")
    if openssl is None:  # a missing peer fails by name, never skips
        pytest.fail("openssl is not installed: scripts/install-test-deps installs it")
    folder = fixtures / "data" / "dkim" / "alato.example"
    for path, name in [(folder / "rsa2025.rsa.pem", "rsa2025"), (folder / "ed2025.ed25519.pem", "ed2025")]:
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
        der = subprocess.run(
            [openssl, "pkey", "-in", str(path), "-pubout", "-outform", "DER"],
            capture_output=True, check=True,
        ).stdout
        published = base64.b64decode(records[f"{name}._domainkey.alato.example."].split("p=", 1)[1])
        if name == "ed2025":
            # RFC 8463 §4.2: p= is the raw 32-byte key, the tail of the SubjectPublicKeyInfo.
            assert published == der[-32:] and len(published) == 32
        else:
            assert published == der
