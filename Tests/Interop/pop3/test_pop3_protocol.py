"""The POP3 session rules users and their clients rely on, in raw dialogs against `portcullis serve`.

Each scenario has a mailbox of its own; what the server answers is asserted by status and
response code (RFC 2449 §8, RFC 3206), and what is on disk is read from the Maildir.
Failed-login scenarios use their own loopback source addresses (127.0.0.4x) so the AUTH delay
and the lockout they cause touch nobody else.

Run: PORTCULLIS_BIN=.build/debug/portcullis .venv-test/bin/python -m pytest -q Tests/Interop/pop3
"""

from __future__ import annotations

import base64
import re
import time

from interop_harness import HANAKO_DISABLED, INSIDE, TARO, Account, unique_marker, wait_until
from pop3_harness import (
    AUTH_FAILURE_LIMIT,
    AUTH_LOCKOUT,
    POP3Dialog,
    maildir_files,
    sample_message,
    swaks_submit,
    unstuff,
    wait_for_delivery,
    wire_form,
)
from smtp_dialog import SMTPDialog


def capabilities(dialog: POP3Dialog) -> dict[str, list[str]]:
    reply = dialog.command("CAPA")
    assert reply.ok, f"CAPA: {reply.text}\n{dialog.show()}"
    listing = {}
    for line in dialog.multiline().decode().split("\r\n"):
        if line:
            name, *arguments = line.split()
            listing[name.upper()] = arguments
    return listing


def logged_in(pop3, account, *, implicit_tls: bool = True, source: str = INSIDE) -> POP3Dialog:
    """A session in the TRANSACTION state (RFC 1939 §5)."""
    dialog = POP3Dialog(pop3.pop3s_port if implicit_tls else pop3.pop3_port, implicit_tls=implicit_tls,
                        source=source)
    assert dialog.greeting.ok, dialog.greeting.text
    if not implicit_tls:
        assert dialog.stls().ok, dialog.show()
    reply = dialog.login(account)
    assert reply.ok, f"login refused: {reply.text}\n{dialog.show()}"
    return dialog


def login_when_released(pop3, account, timeout: float = 15.0) -> POP3Dialog:
    """Logs in as soon as the previous (dropped) session has let the mailbox go."""
    deadline = time.monotonic() + timeout
    while True:
        dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True)
        reply = dialog.login(account)
        if reply.ok:
            return dialog
        dialog.drop()
        assert "[IN-USE]" in reply.text and time.monotonic() < deadline, \
            f"login after the dropped session: {reply.text}"
        time.sleep(0.2)


def stat(dialog: POP3Dialog) -> tuple[int, int]:
    reply = dialog.command("STAT")
    match = re.fullmatch(rb"\+OK (\d+) (\d+)( .*)?", reply.line)
    assert match, f"STAT answered {reply.text!r}\n{dialog.show()}"
    return int(match.group(1)), int(match.group(2))


def uidl(dialog: POP3Dialog) -> dict[int, str]:
    reply = dialog.command("UIDL")
    assert reply.ok, reply.text
    return {int(n): uid for n, uid in (line.split() for line in dialog.multiline().decode().split("\r\n") if line)}


def retr_raw(dialog: POP3Dialog, number: int) -> bytes:
    reply = dialog.command(f"RETR {number}")
    assert reply.ok, f"RETR {number}: {reply.text}\n{dialog.show()}"
    return dialog.multiline()


# -- TLS first ------------------------------------------------------------------------------------

def test_cleartext_offers_only_stls_and_refuses_login_naming_stls(pop3, account):
    dialog = POP3Dialog(pop3.pop3_port)
    assert dialog.greeting.ok, dialog.greeting.text
    before = capabilities(dialog)
    assert "STLS" in before, f"CAPA before TLS lacks STLS: {before}"
    # RFC 2595 §4, RFC 8314: no credentials in cleartext, so no way to send them is offered.
    assert "USER" not in before and "SASL" not in before, f"login offered in cleartext: {before}"

    for attempt in (f"USER {account.address}", f"PASS {account.password}",
                    "AUTH PLAIN " + base64.b64encode(f"\0{account.address}\0{account.password}".encode()).decode()):
        reply = dialog.command(attempt)
        assert not reply.ok and reply.line.startswith(b"-ERR"), f"{attempt.split()[0]} in cleartext: {reply.text}"
        assert "STLS" in reply.text, f"the refusal of {attempt.split()[0]} does not name STLS: {reply.text}"
    assert dialog.command("STAT").line.startswith(b"-ERR"), "STAT answered before any login"

    assert dialog.stls().ok, dialog.show()
    after = capabilities(dialog)
    assert "STLS" not in after and "USER" in after and "PLAIN" in after.get("SASL", []), after
    assert dialog.login(account).ok, dialog.show()
    assert stat(dialog) == (0, 0)
    assert dialog.command("QUIT").ok


def test_stls_twice_and_stls_on_the_implicit_port_are_refused(pop3):
    dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True)
    assert dialog.command("STLS").line.startswith(b"-ERR"), dialog.show()
    assert dialog.command("NOOP").line.startswith((b"+OK", b"-ERR")), "no answer after the refused STLS"
    plain = POP3Dialog(pop3.pop3_port)
    assert plain.stls().ok
    assert plain.command("STLS").line.startswith(b"-ERR"), plain.show()
    assert plain.command("QUIT").ok


# -- what RETR sends ------------------------------------------------------------------------------

def test_retr_is_the_file_with_crlf_dot_stuffed_and_terminated(pop3, account):
    stored = sample_message(unique_marker("dots"))
    pop3.deliver_file(account, stored)
    dialog = logged_in(pop3, account)
    block = retr_raw(dialog, 1)
    # RFC 1939 §3: every line that begins with "." gets one more "." in front.
    expected = b"\r\n".join(b"." + line if line.startswith(b".") else line
                            for line in wire_form(stored).split(b"\r\n"))
    assert block == expected, f"RETR on the wire:\n{block!r}\nexpected:\n{expected!r}"
    assert unstuff(block) == wire_form(stored)
    reply = dialog.command("LIST 1")
    assert reply.line == f"+OK 1 {len(wire_form(stored))}".encode(), reply.text
    assert dialog.command("RETR 2").line.startswith(b"-ERR"), "RETR of a message that does not exist"
    assert dialog.command("QUIT").ok


# -- DELE, QUIT and dropped connections ------------------------------------------------------------

def test_dele_then_quit_removes_the_file(pop3, account):
    first, second = sample_message(unique_marker("keep")), sample_message(unique_marker("delete"))
    pop3.deliver_file(account, first)
    pop3.deliver_file(account, second)
    files = maildir_files(pop3.maildir(account))
    dialog = logged_in(pop3, account)
    number = next(n for n in (1, 2) if unstuff(retr_raw(dialog, n)) == wire_form(second))
    assert dialog.command(f"DELE {number}").ok
    assert dialog.command(f"RETR {number}").line.startswith(b"-ERR"), "a deleted message can still be read"
    assert dialog.command(f"DELE {number}").line.startswith(b"-ERR"), "deleted twice"
    assert stat(dialog) == (1, len(wire_form(first)))
    # Nothing leaves the disk before QUIT (RFC 1939 §6: the UPDATE state).
    assert maildir_files(pop3.maildir(account)).keys() == files.keys()
    assert dialog.command("QUIT").ok
    assert dialog.closed(), "the server did not close after QUIT"
    remaining = maildir_files(pop3.maildir(account))
    assert list(remaining.values()) == [first], f"after DELE + QUIT the Maildir holds {len(remaining)} messages"


def test_rset_undoes_dele(pop3, account):
    pop3.deliver_file(account, sample_message(unique_marker("rset")))
    files = maildir_files(pop3.maildir(account))
    dialog = logged_in(pop3, account)
    assert dialog.command("DELE 1").ok
    assert stat(dialog)[0] == 0
    assert dialog.command("RSET").ok
    assert stat(dialog)[0] == 1
    assert dialog.command("QUIT").ok
    assert dialog.closed()
    assert maildir_files(pop3.maildir(account)).keys() == files.keys()


def test_connection_dropped_after_dele_deletes_nothing(pop3, account):
    for _ in range(2):
        pop3.deliver_file(account, sample_message(unique_marker("drop")))
    files = maildir_files(pop3.maildir(account))
    dialog = logged_in(pop3, account)
    assert dialog.command("DELE 1").ok and dialog.command("DELE 2").ok
    dialog.drop()   # no QUIT: the session never reaches the UPDATE state
    again = login_when_released(pop3, account)
    assert stat(again)[0] == 2, "messages deleted by a session that never sent QUIT"
    assert again.command("QUIT").ok
    assert maildir_files(pop3.maildir(account)).keys() == files.keys()


# -- UIDL ------------------------------------------------------------------------------------------

def test_uidl_is_stable_across_sessions_and_a_server_restart(restartable_pop3):
    pop3 = restartable_pop3
    account = pop3.new_account("uidl-restart")
    for _ in range(3):
        pop3.deliver_file(account, sample_message(unique_marker("uidl")))
    dialog = logged_in(pop3, account)
    first = uidl(dialog)
    contents = {first[n]: unstuff(retr_raw(dialog, n)) for n in first}
    assert dialog.command("QUIT").ok
    assert dialog.closed()

    pop3.stop()
    pop3.start()
    dialog = logged_in(pop3, account)
    after_restart = uidl(dialog)
    assert after_restart == first, f"UIDL changed over a restart: {first} -> {after_restart}"
    # A UID names the same message; deleting one does not renumber the others' UIDs.
    assert {after_restart[n]: unstuff(retr_raw(dialog, n)) for n in after_restart} == contents
    assert dialog.command("DELE 1").ok and dialog.command("QUIT").ok
    assert dialog.closed()

    pop3.deliver_file(account, sample_message(unique_marker("later")))
    dialog = logged_in(pop3, account)
    latest = uidl(dialog)
    assert set(first.values()) - {first[1]} <= set(latest.values()), f"surviving UIDs changed: {first} -> {latest}"
    assert first[1] not in latest.values(), f"the deleted message's UID {first[1]} was reused: {latest}"
    assert len(set(latest.values())) == 3
    assert dialog.command("QUIT").ok


# -- exclusive access -----------------------------------------------------------------------------

def test_quit_releases_the_mailbox_before_the_connection_is_gone(pop3, account):
    # RFC 1939 §6: in the UPDATE state the server removes the deleted messages, "then releases
    # any exclusive-access lock on the maildrop and closes the TCP connection". A client that
    # has read "+OK" to QUIT may log in again at once, whether or not its own socket (or the
    # TLS close_notify exchange) is finished yet.
    pop3.deliver_file(account, sample_message(unique_marker("quit")))
    first = logged_in(pop3, account)
    assert first.command("QUIT").ok
    assert first.closed(close_ours=False), "the server did not end the session after QUIT"
    again = POP3Dialog(pop3.pop3s_port, implicit_tls=True)
    reply = again.login(account)
    first.drop()
    assert reply.ok, f"login right after the previous session's QUIT: {reply.text}"
    assert again.command("QUIT").ok


def test_second_login_to_the_same_mailbox_gets_in_use(pop3, account):
    pop3.deliver_file(account, sample_message(unique_marker("inuse")))
    holder = logged_in(pop3, account)
    second = POP3Dialog(pop3.pop3_port)
    assert second.stls().ok
    reply = second.login(account)
    assert reply.line.startswith(b"-ERR [IN-USE]"), f"second login while the mailbox is held: {reply.text}"
    # RFC 2449 §8.1.2: the code says the mailbox is busy, not that the password was wrong.
    assert stat(holder)[0] == 1, "the first session lost its mailbox"
    assert holder.command("QUIT").ok
    assert holder.closed()
    third = login_when_released(pop3, account)
    assert third.command("QUIT").ok


# -- wrong passwords and the lockout shared with SMTP AUTH ----------------------------------------

def test_wrong_password_gets_auth_code_and_the_session_may_retry(pop3, account):
    dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True, source="127.0.0.40")
    reply = dialog.login(type(account)(account.address, "not the password"))
    assert reply.line.startswith(b"-ERR [AUTH]"), f"wrong password: {reply.text}"
    token = base64.b64encode(f"\0{account.address}\0also wrong".encode()).decode()
    reply = dialog.command(f"AUTH PLAIN {token}")
    assert reply.line.startswith(b"-ERR [AUTH]"), f"wrong password over AUTH PLAIN: {reply.text}"
    reply = dialog.command("USER nobody-here@alato.example")
    reply = dialog.command("PASS whatever") if reply.ok else reply
    assert reply.line.startswith(b"-ERR [AUTH]"), f"unknown account: {reply.text}"
    assert dialog.login(account).ok, dialog.show()
    assert dialog.command("QUIT").ok


def failed_pop3_logins(pop3, address: str, password: str, source: str, count: int) -> list[str]:
    """The answers to `count` wrong logins from `source`, in as many sessions as the server
    allows (it may close a session after a number of refused commands)."""
    replies: list[str] = []
    while len(replies) < count:
        dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True, source=source)
        if not dialog.greeting.ok:
            replies.append(dialog.greeting.text)
            continue
        try:
            while len(replies) < count:
                reply = dialog.command(f"USER {address}")
                if reply.ok:
                    reply = dialog.command(f"PASS {password}")
                if not reply.line.startswith(b"-ERR ["):
                    break   # not an answer to the login (the server closing the session)
                replies.append(reply.text)
        except (ConnectionError, OSError):
            pass
        dialog.drop()
    return replies


def pop3_refused_as_blocked(pop3, account, source: str) -> str:
    """The right password from a blocked address: `-ERR [SYS/TEMP]` at the greeting or at login."""
    dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True, source=source)
    if dialog.greeting.line.startswith(b"-ERR"):
        return dialog.greeting.text
    return dialog.login(account).text


def smtp_auth(pop3, account, source: str):
    """SMTP AUTH PLAIN on the submission port from `source`: (code at connect or AUTH, text)."""
    with SMTPDialog(INSIDE, pop3.submission_port, source=source, timeout=60) as s:
        greeting = s.read_reply()
        if greeting.code != 220:
            return greeting
        s.ehlo()
        s.starttls()
        s.ehlo()
        return s.auth_plain(account.address, account.password)


def test_failed_pop3_logins_block_smtp_auth_from_that_address(pop3, account):
    source = "127.0.0.41"
    replies = failed_pop3_logins(pop3, account.address, "wrong password", source, AUTH_FAILURE_LIMIT)
    assert all(r.startswith("-ERR [AUTH]") for r in replies), f"the first {AUTH_FAILURE_LIMIT} failures: {replies}"
    try:
        blocked = pop3_refused_as_blocked(pop3, account, source)
        assert blocked.startswith("-ERR [SYS/TEMP]"), f"right password from the blocked address: {blocked}"
        reply = smtp_auth(pop3, account, source)
        assert (reply.code, reply.enhanced) in ((421, "4.7.0"), (454, "4.7.0")), \
            f"SMTP AUTH from an address blocked by POP3 failures: {reply}"
        status = pop3.cli("security", "status").stdout
        assert re.search(rf"blocked address\s+{re.escape(source)}\b", status), status
    finally:
        pop3.advance_clock(AUTH_LOCKOUT + 1)
    dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True, source=source)
    assert dialog.login(account).ok, f"still refused after the lockout\n{dialog.show()}"
    assert dialog.command("QUIT").ok


def test_failed_smtp_auth_blocks_pop3_from_that_address(pop3, account):
    source = "127.0.0.42"
    codes = []
    while len(codes) < AUTH_FAILURE_LIMIT:
        with SMTPDialog(INSIDE, pop3.submission_port, source=source, timeout=60) as s:
            s.greeting()
            s.ehlo()
            s.starttls()
            s.ehlo()
            for _ in range(4):   # fewer than the harness's max_errors per session
                if len(codes) >= AUTH_FAILURE_LIMIT:
                    break
                reply = s.auth_plain(account.address, "wrong password")
                codes.append(f"{reply.code} {reply.enhanced}")
    assert codes == ["535 5.7.8"] * AUTH_FAILURE_LIMIT, codes
    try:
        blocked = pop3_refused_as_blocked(pop3, account, source)
        assert blocked.startswith("-ERR [SYS/TEMP]"), f"POP3 from an address blocked by SMTP failures: {blocked}"
    finally:
        pop3.advance_clock(AUTH_LOCKOUT + 1)
    dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True, source=source)
    assert dialog.login(account).ok, f"still refused after the lockout\n{dialog.show()}"
    assert dialog.command("QUIT").ok


def test_disabled_account_cannot_log_in(pop3, account):
    dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True, source="127.0.0.43")
    # The password is right, the account may not log in: the answer is that of a wrong
    # password, so it never confirms a guessed one.
    wrong = dialog.login(Account(HANAKO_DISABLED.address, "not the password"))
    assert wrong.line.startswith(b"-ERR [AUTH]"), f"a wrong password: {wrong.text}"
    reply = dialog.login(HANAKO_DISABLED)
    assert reply.line == wrong.line, f"a disabled account with its right password: {reply.text}"
    pop3.cli("user", "disable", account.address)
    reply = dialog.login(account)
    assert reply.line == wrong.line, f"an account disabled just now: {reply.text}"
    pop3.cli("user", "enable", account.address)
    assert dialog.login(account).ok, dialog.show()
    assert dialog.command("QUIT").ok


# -- the command stream ---------------------------------------------------------------------------

def test_line_over_255_octets_is_refused_and_the_session_goes_on(pop3, account):
    pop3.deliver_file(account, sample_message(unique_marker("long")))
    dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True)
    # RFC 2449 §4: command lines are at most 255 octets, CRLF included.
    reply = dialog.command("USER " + "x" * 300)
    assert reply.line.startswith(b"-ERR"), f"a 307-octet USER line: {reply.text}"
    assert dialog.login(account).ok, f"the session lost sync after the long line\n{dialog.show()}"
    reply = dialog.command("NOOP " + "y" * 20_000)
    assert reply.line.startswith(b"-ERR"), f"a 20 kB line: {reply.text}"
    assert dialog.command("NOOP").ok, dialog.show()
    assert stat(dialog)[0] == 1
    assert dialog.command("QUIT").ok


def test_pipelined_commands_are_answered_in_order(pop3, account):
    stored = sample_message(unique_marker("pipe"))
    pop3.deliver_file(account, stored)
    dialog = POP3Dialog(pop3.pop3s_port, implicit_tls=True)
    # RFC 2449 §6.6: the client may send many commands at once; answers come in order.
    dialog.send((f"USER {account.address}\r\nPASS {account.password}\r\nSTAT\r\nLIST\r\nUIDL 1\r\n"
                 "RETR 1\r\nTOP 1 0\r\nNOOP\r\nBOGUS\r\nQUIT\r\n").encode())
    size = len(wire_form(stored))
    assert dialog.response().ok                                           # USER
    assert dialog.response().ok                                           # PASS
    assert dialog.response().line == f"+OK 1 {size}".encode()             # STAT
    assert dialog.response().ok and dialog.multiline() == f"1 {size}\r\n".encode()   # LIST
    assert re.fullmatch(rb"\+OK 1 [\x21-\x7e]+", dialog.response().line)  # UIDL 1
    assert dialog.response().ok and unstuff(dialog.multiline()) == wire_form(stored)  # RETR 1
    head = wire_form(stored).split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert dialog.response().ok and dialog.multiline() == head            # TOP 1 0
    assert dialog.response().ok                                           # NOOP
    assert dialog.response().line.startswith(b"-ERR")                     # BOGUS
    assert dialog.response().ok                                           # QUIT
    assert dialog.closed(), dialog.show()


# -- the maildrop is a snapshot -------------------------------------------------------------------

def test_mail_delivered_during_a_session_appears_in_the_next(pop3, account):
    marker, later = unique_marker("before"), unique_marker("during")
    swaks_submit(pop3, TARO, account.address, marker)
    wait_for_delivery(pop3.maildir(account), marker)
    dialog = logged_in(pop3, account)
    before = stat(dialog)
    uids = uidl(dialog)
    assert before[0] == 1
    swaks_submit(pop3, TARO, account.address, later)
    wait_for_delivery(pop3.maildir(account), later)
    assert stat(dialog) == before, "a message delivered during the session showed up in it"
    assert uidl(dialog) == uids
    assert dialog.command("LIST 2").line.startswith(b"-ERR")
    assert dialog.command("QUIT").ok
    assert dialog.closed()
    dialog = logged_in(pop3, account)
    assert stat(dialog)[0] == 2
    contents = [unstuff(retr_raw(dialog, n)) for n in (1, 2)]
    assert any(later.encode() in c for c in contents) and any(marker.encode() in c for c in contents)
    assert dialog.command("QUIT").ok
    wait_until(lambda: len(maildir_files(pop3.maildir(account))) == 2, "both messages kept")
