"""Checks the DKIM signatures of messages the sinks dumped, with dkimpy and no DNS.

    python3 -m portbench.dkimverify RECORDS.json FILE...

RECORDS.json maps "selector._domainkey.domain" to the text of its TXT record (the keys the
benchmark generated); dkimpy's DNS hook is answered from it. Prints a JSON list with one entry
per file: every DKIM-Signature field's a=, d= and s= tags and whether it verifies.

dkimpy and PyNaCl (Ed25519) come from Debian (python3-dkim, python3-nacl); portbench runs this
module with an interpreter that imports them (`interpreter()` in portbench/dkim.py), so the
harness itself stays on the standard library.
"""

from __future__ import annotations

import json
import sys

import dkim
from dkim.util import parse_tag_value


def check(message: bytes, records: dict[str, bytes]) -> list[dict]:
    def dnsfunc(name, timeout=5):
        key = (name.decode() if isinstance(name, bytes) else name).lower().rstrip(".")
        return records.get(key)

    headers, _ = dkim.rfc822_parse(message)
    signatures = [value for name, value in headers if name.lower() == b"dkim-signature"]
    results = []
    for index, value in enumerate(signatures):
        tags = parse_tag_value(value)
        entry = {name: tags.get(name.encode(), b"").decode() for name in ("a", "d", "s")}
        try:
            # One DKIM object per signature: verify() keeps state about the last one it checked.
            entry["verified"] = bool(dkim.DKIM(message).verify(idx=index, dnsfunc=dnsfunc))
        except dkim.DKIMException as error:
            entry["verified"] = False
            entry["error"] = str(error)
        results.append(entry)
    return results


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as handle:
        records = {name.lower().rstrip("."): text.encode() for name, text in json.load(handle).items()}
    report = []
    for path in argv[1:]:
        with open(path, "rb") as handle:
            report.append({"file": path, "signatures": check(handle.read(), records)})
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
