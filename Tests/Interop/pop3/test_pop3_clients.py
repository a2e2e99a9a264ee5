"""POP3 with real clients: Python poplib, curl, fetchmail and getmail6 against `portcullis serve`.

Every scenario reads a mailbox of its own and compares what the client got with the Maildir file
on disk: stored with LF line ends, sent by POP3 as CRLF (RFC 1939 §3), so a client that keeps
CRLF must get the file with LF→CRLF, and one that hands messages to a Unix delivery agent
(fetchmail's mda, getmail's Maildir) must write the file itself, byte for byte.

Run: PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/pop3
"""

from __future__ import annotations

import base64
import poplib
import re
import ssl

from interop_harness import INSIDE, TARO, unique_marker
from pop3_clients import Fetchmail, Getmail, curl, as_getmail_writes
from pop3_harness import (
    client_context,
    maildir_files,
    sample_message,
    swaks_submit,
    wait_for_delivery,
    wire_form,
)



def fill(pop3, account, count: int = 3) -> dict[str, bytes]:
    """`count` messages in the account's Maildir; returns unique name -> stored bytes."""
    for _ in range(count):
        pop3.deliver_file(account, sample_message(unique_marker("msg")))
    files = maildir_files(pop3.maildir(account))
    assert len(files) == count, f"expected {count} messages in {pop3.maildir(account)}, found {len(files)}"
    return files


def assert_same_certificate(sock, certificate) -> None:
    """The TLS peer is the server's own certificate (poplib cannot check the name for 127.0.0.1)."""
    peer = sock.getpeercert(binary_form=True)
    assert peer == ssl.PEM_cert_to_DER_cert(certificate.read_text()), "the server presented another certificate"


def check_capabilities(pop3, capabilities: dict) -> None:
    missing = pop3.capabilities_after_tls - set(capabilities)
    assert not missing, f"CAPA after TLS lacks {sorted(missing)}: {capabilities}"
    assert "STLS" not in capabilities, f"STLS offered inside TLS: {capabilities}"
    assert "PLAIN" in capabilities["SASL"], f"SASL without PLAIN: {capabilities}"
    if "EXPIRE" in pop3.capabilities_after_tls:
        assert capabilities["EXPIRE"] == ["NEVER"], f"EXPIRE is not NEVER: {capabilities}"


def read_whole_mailbox(client: poplib.POP3, stored: dict[str, bytes]) -> None:
    """STAT, LIST, UIDL, TOP and RETR of every message, each checked against the files on disk."""
    expected = sorted(wire_form(content) for content in stored.values())
    count, size = client.stat()
    assert (count, size) == (len(expected), sum(map(len, expected))), \
        f"STAT {count} {size}; the Maildir holds {len(expected)} messages of {sum(map(len, expected))} octets"

    reply, listing, _ = client.list()
    assert reply.startswith(b"+OK"), reply
    sizes = {int(n): int(s) for n, s in (line.split() for line in listing)}
    assert sorted(sizes) == list(range(1, count + 1)), f"LIST numbers: {listing}"

    reply, uid_lines, _ = client.uidl()
    uids = {int(n): uid for n, uid in (line.split() for line in uid_lines)}
    assert sorted(uids) == list(range(1, count + 1)), f"UIDL numbers: {uid_lines}"
    assert len(set(uids.values())) == count, f"UIDL values are not unique: {uid_lines}"
    for uid in uids.values():
        # RFC 1939 §7: 1 to 70 characters in the range 0x21 to 0x7E.
        assert re.fullmatch(rb"[\x21-\x7e]{1,70}", uid), f"UIDL value {uid!r} breaks RFC 1939 §7"
    reply = client._shortcmd("UIDL 1")
    assert reply == b"+OK 1 " + uids[1], f"UIDL 1 answered {reply!r}, the listing said {uids[1]!r}"

    fetched = []
    for number in range(1, count + 1):
        reply, lines, _ = client.retr(number)
        assert reply.startswith(b"+OK"), reply
        message = b"\r\n".join(lines) + b"\r\n"
        assert sizes[number] == len(message), f"LIST said {sizes[number]} octets for {number}, RETR gave {len(message)}"
        fetched.append(message)

        reply, top_lines, _ = client.top(number, 1)
        head, _, body = message.partition(b"\r\n\r\n")
        expected_top = head.split(b"\r\n") + [b""] + body.split(b"\r\n")[:1]
        assert top_lines == expected_top, f"TOP {number} 1 gave {top_lines!r}, expected {expected_top!r}"
    assert sorted(fetched) == expected, "RETR did not return the Maildir files byte for byte (LF as CRLF)"


# -- Python poplib --------------------------------------------------------------------------------

def test_poplib_stls_capa_uidl_top_retr(pop3, account):
    stored = fill(pop3, account)
    client = poplib.POP3(INSIDE, pop3.pop3_port, timeout=30)
    try:
        assert client.getwelcome().startswith(b"+OK"), client.getwelcome()
        before = client.capa()
        assert "STLS" in before, f"no STLS before TLS: {before}"
        assert client.stls(client_context()).startswith(b"+OK")
        assert_same_certificate(client.sock, pop3.certificate)
        after = client.capa()
        check_capabilities(pop3, after)
        if "UTF8" in after:
            # RFC 6856 §2: UTF8 is accepted in the AUTHORIZATION state.
            assert client.utf8().startswith(b"+OK")
        assert client.user(account.address).startswith(b"+OK")
        assert client.pass_(account.password).startswith(b"+OK")
        read_whole_mailbox(client, stored)
        assert client.quit().startswith(b"+OK")
    finally:
        client.close()
    assert maildir_files(pop3.maildir(account)) == stored, "reading without DELE changed the mailbox"


def test_poplib_pop3s_auth_plain_with_initial_response(pop3, account):
    stored = fill(pop3, account, count=2)
    client = poplib.POP3_SSL(INSIDE, pop3.pop3s_port, timeout=30, context=client_context())
    try:
        assert client.getwelcome().startswith(b"+OK"), client.getwelcome()
        assert_same_certificate(client.sock, pop3.certificate)
        check_capabilities(pop3, client.capa())
        # RFC 5034 §4: AUTH PLAIN with the initial response on the command line.
        token = base64.b64encode(b"\0" + account.address.encode() + b"\0" + account.password.encode()).decode()
        assert client._shortcmd(f"AUTH PLAIN {token}").startswith(b"+OK")
        read_whole_mailbox(client, stored)
        assert client.quit().startswith(b"+OK")
    finally:
        client.close()
    assert maildir_files(pop3.maildir(account)) == stored


# -- curl -----------------------------------------------------------------------------------------

def check_curl(pop3, account, implicit_tls: bool) -> None:
    stored = fill(pop3, account, count=2)
    port = pop3.pop3s_port if implicit_tls else pop3.pop3_port
    rc, listing, log = curl(pop3.root, pop3.certificate, port, account, implicit_tls=implicit_tls)
    assert rc == 0, f"curl LIST exited {rc}\n{log}"
    if not implicit_tls:
        assert "\n> STLS" in log and log.index("> STLS") < log.index("> AUTH"), f"curl did not send STLS first\n{log}"
    sizes = sorted(int(line.split()[1]) for line in listing.decode().splitlines())
    assert sizes == sorted(len(wire_form(c)) for c in stored.values()), f"LIST: {listing!r}"
    retrieved = []
    for number in (1, 2):
        rc, message, log = curl(pop3.root, pop3.certificate, port, account, implicit_tls=implicit_tls,
                                path=str(number))
        assert rc == 0, f"curl RETR {number} exited {rc}\n{log}"
        retrieved.append(message)
    assert sorted(retrieved) == sorted(wire_form(c) for c in stored.values()), \
        "curl's RETR output differs from the Maildir files (LF as CRLF)"
    rc, uidl, log = curl(pop3.root, pop3.certificate, port, account, implicit_tls=implicit_tls, request="UIDL")
    assert rc == 0 and len(uidl.decode().splitlines()) == 2, f"curl UIDL: {uidl!r}\n{log}"
    assert maildir_files(pop3.maildir(account)) == stored


def test_curl_pop3_ssl_reqd_list_retr_uidl(pop3, account):
    check_curl(pop3, account, implicit_tls=False)


def test_curl_pop3s_list_retr_uidl(pop3, account):
    check_curl(pop3, account, implicit_tls=True)


# -- fetchmail ------------------------------------------------------------------------------------

def test_fetchmail_ssl_keep_fetches_each_message_once(pop3, account):
    stored = fill(pop3, account, count=3)
    fetchmail = Fetchmail(pop3.root, pop3.certificate, pop3.pop3s_port, account, implicit_tls=True, keep=True)
    rc, log = fetchmail.run()
    assert rc == 0, f"fetchmail exited {rc} (0: mail fetched)\n{log}"
    assert sorted(fetchmail.fetched()) == sorted(stored.values()), \
        f"fetchmail's mda got other bytes than the Maildir files\n{log}"
    assert maildir_files(pop3.maildir(account)) == stored, "`keep` left the mailbox changed"

    # UIDL-based keep: the second run sees the same UIDs and fetches nothing new ...
    rc, log = fetchmail.run()
    assert rc == 1, f"second fetchmail run exited {rc}, expected 1 (no new mail)\n{log}"
    assert len(fetchmail.fetched()) == 3, "the second run fetched messages again"
    # ... until a new message arrives: exactly that one is fetched.
    newer = sample_message(unique_marker("newer"))
    pop3.deliver_file(account, newer)
    rc, log = fetchmail.run()
    assert rc == 0, f"third fetchmail run exited {rc}\n{log}"
    assert sorted(fetchmail.fetched()) == sorted([*stored.values(), newer]), log


def test_fetchmail_stls_no_keep_empties_the_maildir(pop3, account):
    stored = fill(pop3, account, count=3)
    fetchmail = Fetchmail(pop3.root, pop3.certificate, pop3.pop3_port, account, implicit_tls=False, keep=False)
    rc, log = fetchmail.run()
    assert rc == 0, f"fetchmail exited {rc}\n{log}"
    assert re.search(r"(?m)^fetchmail: POP3> STLS$", log), f"fetchmail did not send STLS\n{log}"
    assert log.index("POP3> STLS") < log.index("POP3> USER"), f"USER before STLS\n{log}"
    assert sorted(fetchmail.fetched()) == sorted(stored.values()), log
    assert maildir_files(pop3.maildir(account)) == {}, "`no keep`: messages left in the Maildir after QUIT"


# -- getmail6 -------------------------------------------------------------------------------------

def test_getmail_pop3s_read_new_only_then_delete(pop3, account):
    stored = fill(pop3, account, count=2)
    getmail = Getmail(pop3.root, pop3.certificate, pop3.pop3s_port, account, delete=False)
    rc, log = getmail.run()
    assert rc == 0, f"getmail exited {rc}\n{log}"
    assert sorted(getmail.fetched()) == sorted(map(as_getmail_writes, stored.values())), \
        f"getmail's Maildir differs\n{log}"
    rc, log = getmail.run()
    assert rc == 0 and len(getmail.fetched()) == 2, f"the second run fetched again\n{log}"
    assert maildir_files(pop3.maildir(account)) == stored

    deleting = Getmail(pop3.root, pop3.certificate, pop3.pop3s_port, account, delete=True)
    rc, log = deleting.run()
    assert rc == 0, f"getmail (delete) exited {rc}\n{log}"
    assert len(deleting.fetched()) == 2, log
    assert maildir_files(pop3.maildir(account)) == {}, "getmail delete = true left messages"


# -- end to end: swaks on submission, then every client -------------------------------------------

def test_submitted_with_swaks_fetched_byte_for_byte_by_every_client(pop3, account):
    marker = unique_marker("e2e")
    swaks_submit(pop3, TARO, account.address, marker)
    name, stored = wait_for_delivery(pop3.maildir(account), marker)
    assert b"\r" not in stored, "the Maildir file has CR characters: stored with LF endings expected"
    expected = wire_form(stored)

    client = poplib.POP3_SSL(INSIDE, pop3.pop3s_port, timeout=30, context=client_context())
    client.user(account.address)
    client.pass_(account.password)
    reply, lines, _ = client.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == expected, "poplib: RETR differs from the Maildir file"
    client.quit()

    for implicit_tls, port in ((False, pop3.pop3_port), (True, pop3.pop3s_port)):
        rc, message, log = curl(pop3.root, pop3.certificate, port, account, implicit_tls=implicit_tls, path="1")
        assert rc == 0 and message == expected, f"curl ({'pop3s' if implicit_tls else 'STLS'}) differs\n{log}"

    for implicit_tls, port in ((True, pop3.pop3s_port), (False, pop3.pop3_port)):
        fetchmail = Fetchmail(pop3.root, pop3.certificate, port, account, implicit_tls=implicit_tls, keep=True)
        rc, log = fetchmail.run()
        assert rc == 0 and fetchmail.fetched() == [stored], f"fetchmail differs\n{log}"

    getmail = Getmail(pop3.root, pop3.certificate, pop3.pop3s_port, account, delete=False)
    rc, log = getmail.run()
    assert rc == 0 and getmail.fetched() == [as_getmail_writes(stored)], f"getmail differs\n{log}"

    assert maildir_files(pop3.maildir(account)) == {name: stored}, "reading changed the stored message"
