"""The customer web as a new user tries it: `portcullis serve`, the web port in a real browser.

The server is the real binary (`$PORTCULLIS_BIN serve --data-dir D`) with `[web] listen` on a
free loopback port, `127.0.0.1/32` as the only access network (OP25B on), `alato.example` as the
ISP's domain and `virtual.example` as a customer's virtual domain. A browser on this machine
connects from 127.0.0.1, so it is "on the ISP's line"; the override on the form, and plain HTTP
from 127.0.0.2, stand for another provider's line.

- Headless Chromium (`--dump-dom`) opens the checker with the address in the URL, exactly what
  the GET form submits, for the notice's four answers, in Japanese and English.
- chromedriver (W3C WebDriver, see webdriver.py) types an address into the form, chooses the
  line and submits it, like a person; the result page's screenshot is kept in
  test-artifacts/web/.
- Thunderbird autoconfig is parsed field by field (xml.etree), the Outlook autodiscover answer
  is parsed, and the Apple profile is read with plistlib: each names the POP3 service (995 SSL,
  then 110 STARTTLS) and the IMAP server `[client_settings]` names, at the hosts configured,
  with `[web] public_host` as the name customers are told.
- The guides page in Chromium: the incoming server, its ports and the user name, and the
  profile link in the Apple section.
- `portcullis op25b exempt add` on the visitor's address while the server runs: the checker
  answers "not affected, exempt" at once, and as before once the exemption is removed.
- `portcullis dns-records` prints the POP3 and IMAP SRV records for this configuration.

A missing chromium, chromium-driver or binary fails the scenario by name; nothing is skipped.
"""

from __future__ import annotations

import http.client
import json
import plistlib
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from interop_harness import ARTIFACTS, INSIDE, OUTSIDE, PortcullisServer, ServerError
from webdriver import ChromeDriver

WEB_ARTIFACTS = ARTIFACTS / "web"
SUBMISSION_HOST = "smtp.alato.example"
POP3_HOST = "pop.alato.example"
IMAP_HOST = "imap.alato.example"
PUBLIC_HOST = "www.alato.example"

# The page's words for the four answers (Sources/Web/Catalog+*.swift). Written out here so the
# browser test checks what a visitor reads, independently of the code that produces it.
AFFECTED_JA = "影響があります。設定の変更が必要です。"
NOT_AFFECTED_JA = "影響はありません。"
AFFECTED_EN = "You are affected: please change your settings."
NOT_AFFECTED_EN = "You are not affected."
ISP_LINE_DETECTED_JA = "当社の回線（自動判定）"
OTHER_LINE_CHOSEN_JA = "他社の回線（選択）"


class WebServer(PortcullisServer):
    """The shared harness, with client settings that name the POP3 host and an IMAP server
    elsewhere, a public host for the web, and the ISP's own domain added as primary."""

    def config_text(self, access_prefixes: tuple[str, ...]) -> str:
        base = super().config_text(access_prefixes)
        assert "\n[web]\n" in base
        return base.replace("\n[web]\n", f'\n[web]\npublic_host = "{PUBLIC_HOST}"\n') + f"""
[client_settings]
submission_host = "{SUBMISSION_HOST}"
submission_port = 587
submissions_port = 465
pop3_host = "{POP3_HOST}"
imap_host = "{IMAP_HOST}"
"""

    def provision(self) -> None:
        self.cli("domain", "add", "alato.example", "--primary")
        self.cli("domain", "add", "virtual.example")

    def url(self, path: str, **query: str) -> str:
        base = f"http://{INSIDE}:{self.web_port}{path}"
        return base + ("?" + urllib.parse.urlencode(query) if query else "")


def wait_for_web(server: WebServer, timeout: float = 30.0) -> None:
    """"ready" covers the mail listeners; the web listener is polled until it answers."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server.url("/healthz"), timeout=5) as response:
                if response.status == 200:
                    return
        except OSError as error:
            last = error
        if not server.running():
            raise ServerError(f"server exited\n{server.log_tail()}")
        time.sleep(0.2)
    raise ServerError(f"web service on {INSIDE}:{server.web_port} did not answer within {timeout}s "
                      f"(is [web] wired into `portcullis serve`?): {last}\n{server.log_tail()}")


@pytest.fixture(scope="module")
def web(portcullis_bin: Path):
    server = WebServer("web", portcullis_bin)
    try:
        server.initialise()
        server.provision()
        server.start()
        wait_for_web(server)
    except ServerError as error:
        server.stop()
        pytest.fail(str(error))
    yield server
    server.stop()


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is missing: apt-get install -y chromium chromium-driver")
    return path


def dump_dom(url: str, language: str = "ja", name: str = "page") -> str:
    """The DOM after Chromium loaded `url`, with `language` as the browser's Accept-Language."""
    profile = WEB_ARTIFACTS / "profiles" / name
    shutil.rmtree(profile, ignore_errors=True)
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--lang={language}", f"--accept-lang={language}", f"--user-data-dir={profile}",
         "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
    return result.stdout


def screenshot(url: str, path: Path, language: str = "ja") -> None:
    profile = WEB_ARTIFACTS / "profiles" / path.stem
    shutil.rmtree(profile, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--lang={language}", f"--accept-lang={language}", f"--user-data-dir={profile}",
         "--hide-scrollbars", "--window-size=412,2200", f"--screenshot={path}", url],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
    assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"no PNG at {path}"


def get(server: WebServer, path: str, *, source: str = INSIDE, method: str = "GET", body: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """A plain HTTP request from `source` (127.0.0.2 stands for another provider's line)."""
    connection = http.client.HTTPConnection(INSIDE, server.web_port, timeout=30, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# -- the checker in a browser --------------------------------------------------------------

@pytest.mark.parametrize("email, line, verdict, headline, must_show", [
    # On the ISP's line (detected: the browser is on 127.0.0.1/32).
    ("taro@alato.example", "auto", "not-affected", NOT_AFFECTED_JA, [ISP_LINE_DETECTED_JA, SUBMISSION_HOST, "587（STARTTLS）"]),
    ("someone@example.net", "auto", "affected-use-provider-submission", AFFECTED_JA, [ISP_LINE_DETECTED_JA, "example.net"]),
    # On another provider's line (the visitor's override).
    ("shop@virtual.example", "other", "affected-use-our-submission", AFFECTED_JA,
     [OTHER_LINE_CHOSEN_JA, SUBMISSION_HOST, "465（SSL/TLS）", "shop@virtual.example（メールアドレス全体）",
      "受信（POP3）サーバー", POP3_HOST, "995（SSL/TLS）", "110（STARTTLS）", IMAP_HOST, "993（SSL/TLS）"]),
    ("someone@example.net", "other", "not-affected-by-this-isp", NOT_AFFECTED_JA, [OTHER_LINE_CHOSEN_JA]),
])
def test_checker_answers_the_notice_in_chromium(web: WebServer, email, line, verdict, headline, must_show):
    dom = dump_dom(web.url("/check", email=email, line=line), name=f"{verdict}-{line}")
    assert '<html lang="ja">' in dom
    assert f'data-verdict="{verdict}"' in dom, dom[-3000:]
    assert headline in dom
    for text in must_show:
        assert text in dom, f"{text!r} missing"
    # Never port 25 in the settings offered to a client.
    assert ">25（STARTTLS）<" not in dom and ">25（SSL/TLS）<" not in dom


def test_checker_speaks_english_to_an_english_browser(web: WebServer):
    dom = dump_dom(web.url("/check", email="taro@alato.example", line="other"), language="en-US", name="english")
    assert '<html lang="en">' in dom
    assert AFFECTED_EN in dom
    assert "another provider&#39;s line (your choice)" in dom or "another provider's line (your choice)" in dom


def test_typing_an_address_into_the_form(web: WebServer):
    """As a person would: open the checker, type an address, choose the other line, submit."""
    driver = ChromeDriver(WEB_ARTIFACTS / "chromedriver.log", language="ja")
    try:
        driver.open(web.url("/"))
        assert driver.attribute(driver.find("html"), "lang") == "ja"
        driver.type(driver.find("#email"), "taro@alato.example")
        driver.click(driver.find("#line-other"))
        driver.click(driver.find("form button[type=submit]"))
        verdict = driver.find("#verdict")
        assert driver.text(verdict) == AFFECTED_JA
        assert driver.attribute(verdict, "data-verdict") == "affected-use-our-submission"
        assert driver.text(driver.find("#line")) == OTHER_LINE_CHOSEN_JA
        page = driver.page_source()
        assert SUBMISSION_HOST in page and "587（STARTTLS）" in page
        # The form is GET: the address is in the URL, so the answer can be bookmarked or shared.
        assert "email=taro%40alato.example" in driver.url
        driver.screenshot(WEB_ARTIFACTS / "checker-typed-affected-ja.png")
    finally:
        driver.quit()
    assert (WEB_ARTIFACTS / "checker-typed-affected-ja.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_result_page_screenshots(web: WebServer):
    screenshot(web.url("/check", email="someone@example.net", line="auto"), WEB_ARTIFACTS / "checker-isp-line-outside-ja.png")
    screenshot(web.url("/guides", email="shop@virtual.example", lang="en"), WEB_ARTIFACTS / "guides-virtual-en.png",
               language="en-US")


def test_bad_input_is_a_message_in_the_browser(web: WebServer):
    dom = dump_dom(web.url("/check", email="<script>alert(1)</script>", line="auto"), name="bad-input")
    assert 'role="alert"' in dom
    assert "メールアドレスに「@」がありません。" in dom
    assert "<script>alert(1)</script>" not in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


# -- plain HTTP: the line detected from another address, the JSON API -----------------------

def test_line_is_detected_from_the_client_address(web: WebServer):
    path = "/api/v1/check?" + urllib.parse.urlencode({"email": "taro@alato.example"})
    status, _, body = get(web, path, source=INSIDE)
    inside = json.loads(body)
    assert status == 200 and inside["line"] == "isp" and inside["verdict"] == "not-affected"
    status, _, body = get(web, path, source=OUTSIDE)
    outside = json.loads(body)
    assert status == 200 and outside["line"] == "other" and outside["verdict"] == "affected-use-our-submission"
    assert outside["settings"]["submission"] == {"host": SUBMISSION_HOST, "port": 587, "security": "STARTTLS"}
    assert outside["username"] == "taro@alato.example"


def test_api_errors_are_json_400(web: WebServer):
    status, headers, body = get(web, "/api/v1/check?email=nobody&lang=en")
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "missing_at_sign"


# -- automatic configuration ---------------------------------------------------------------

@pytest.mark.parametrize("path", ["/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml"])
def test_thunderbird_autoconfig(web: WebServer, path: str):
    status, headers, body = get(web, path + "?emailaddress=taro%40alato.example")
    assert status == 200, body
    assert "xml" in headers["content-type"]
    root = ET.fromstring(body)
    assert root.tag == "clientConfig" and root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider is not None and provider.get("id") == "alato.example"
    assert provider.findtext("domain") == "alato.example"
    assert provider.findtext("displayName") == PUBLIC_HOST
    incoming = provider.findall("incomingServer")
    assert [(s.get("type"), s.findtext("hostname"), s.findtext("port"), s.findtext("socketType")) for s in incoming] == [
        ("pop3", POP3_HOST, "995", "SSL"), ("pop3", POP3_HOST, "110", "STARTTLS"), ("imap", IMAP_HOST, "993", "SSL")]
    outgoing = provider.findall("outgoingServer")
    assert [(s.get("type"), s.findtext("hostname"), s.findtext("port"), s.findtext("socketType")) for s in outgoing] == [
        ("smtp", SUBMISSION_HOST, "587", "STARTTLS"), ("smtp", SUBMISSION_HOST, "465", "SSL")]
    for server in incoming + outgoing:
        assert server.findtext("authentication") == "password-cleartext"
        assert server.findtext("username") == "%EMAILADDRESS%"


def test_autoconfig_only_for_hosted_domains(web: WebServer):
    status, _, _ = get(web, "/mail/config-v1.1.xml?emailaddress=someone%40example.net")
    assert status == 404


def test_outlook_autodiscover(web: WebServer):
    request = b"""<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>shop@virtual.example</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>"""
    status, _, body = get(web, "/Autodiscover/Autodiscover.xml", method="POST", body=request,
                          headers={"Content-Type": "text/xml"})
    assert status == 200, body
    ns = {"r": "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"}
    protocols = ET.fromstring(body).findall("./r:Response/r:Account/r:Protocol", ns)
    assert [p.findtext("r:Type", namespaces=ns) for p in protocols] == ["POP3", "POP3", "IMAP", "SMTP"]
    incoming = [(p.findtext("r:Server", namespaces=ns), p.findtext("r:Port", namespaces=ns),
                 p.findtext("r:Encryption", namespaces=ns), p.findtext("r:LoginName", namespaces=ns)) for p in protocols[:3]]
    assert incoming == [(POP3_HOST, "995", "SSL", "shop@virtual.example"), (POP3_HOST, "110", "TLS", "shop@virtual.example"),
                        (IMAP_HOST, "993", "SSL", "shop@virtual.example")]
    smtp = [p for p in protocols if p.findtext("r:Type", namespaces=ns) == "SMTP"]
    assert len(smtp) == 1
    assert smtp[0].findtext("r:Server", namespaces=ns) == SUBMISSION_HOST
    assert smtp[0].findtext("r:Port", namespaces=ns) == "587"
    assert smtp[0].findtext("r:AuthRequired", namespaces=ns) == "on"
    assert smtp[0].findtext("r:LoginName", namespaces=ns) == "shop@virtual.example"


def test_apple_profile_reads_with_plistlib(web: WebServer):
    status, headers, body = get(web, "/apple/mail.mobileconfig?email=taro%40alato.example")
    assert status == 200
    assert headers["content-type"] == "application/x-apple-aspen-config"
    assert 'filename="alato.example.mobileconfig"' in headers["content-disposition"]
    WEB_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (WEB_ARTIFACTS / "alato.example.mobileconfig").write_bytes(body)
    profile = plistlib.loads(body)
    assert profile["PayloadType"] == "Configuration"
    assert profile["PayloadVersion"] == 1
    [mail] = profile["PayloadContent"]
    assert mail["PayloadType"] == "com.apple.mail.managed"
    assert mail["EmailAddress"] == "taro@alato.example"
    assert profile["PayloadOrganization"] == PUBLIC_HOST
    assert mail["EmailAccountType"] == "EmailTypePOP"
    assert (mail["IncomingMailServerHostName"], mail["IncomingMailServerPortNumber"]) == (POP3_HOST, 995)
    assert mail["IncomingMailServerUseSSL"] is True
    assert mail["IncomingMailServerUsername"] == "taro@alato.example"
    assert (mail["OutgoingMailServerHostName"], mail["OutgoingMailServerPortNumber"]) == (SUBMISSION_HOST, 587)
    assert mail["OutgoingMailServerUseSSL"] is True
    assert mail["OutgoingMailServerAuthentication"] == "EmailAuthPassword"
    assert mail["OutgoingMailServerUsername"] == "taro@alato.example"


# -- the guides page -----------------------------------------------------------------------

@pytest.mark.parametrize("language, incoming_label, pop3_port", [
    ("ja", "受信（POP3）サーバー", "995（SSL/TLS）"),
    ("en-US", "Incoming (POP3) server", "995 (SSL/TLS)"),
])
def test_guides_page_names_the_incoming_server_in_chromium(web: WebServer, language, incoming_label, pop3_port):
    dom = dump_dom(web.url("/guides", email="taro@alato.example"), language=language, name=f"guides-{language}")
    assert f'<html lang="{language[:2]}">' in dom
    for text in (incoming_label, POP3_HOST, pop3_port, IMAP_HOST, SUBMISSION_HOST, "taro@alato.example"):
        assert text in dom, f"{text!r} missing"
    # The Apple section links the profile.
    apple = dom[dom.index('<section id="apple"'):]
    apple = apple[:apple.index("</section>")]
    assert 'href="/apple/mail.mobileconfig?email=taro%40alato.example' in apple


# -- OP25B exemptions in the checker --------------------------------------------------------

def test_an_exempt_subscriber_is_told_they_are_not_blocked(web: WebServer):
    path = "/api/v1/check?" + urllib.parse.urlencode({"email": "someone@example.net", "lang": "en"})
    status, _, body = get(web, path, source=INSIDE)
    assert status == 200 and json.loads(body)["verdict"] == "affected-use-provider-submission"
    web.cli("op25b", "exempt", "add", f"{INSIDE}/32", "--reason", "interop ticket 31")
    try:
        status, _, body = get(web, path, source=INSIDE)
        answer = json.loads(body)
        assert status == 200, body
        assert answer["verdict"] == "not-affected-exempt" and answer["affected"] is False
        assert answer["exemption"]["clientAddress"] == INSIDE
        assert "exempt from port 25 blocking" in answer["message"]
        assert "ticket 31" not in body.decode()
        dom = dump_dom(web.url("/check", email="someone@example.net"), name="exempt")
        assert 'data-verdict="not-affected-exempt"' in dom
        assert NOT_AFFECTED_JA in dom and "ポート25ブロックの適用除外" in dom
    finally:
        web.cli("op25b", "exempt", "remove", f"{INSIDE}/32")
    status, _, body = get(web, path, source=INSIDE)
    assert json.loads(body)["verdict"] == "affected-use-provider-submission"


# -- dns-records ---------------------------------------------------------------------------

def test_dns_records_name_pop3_and_the_imap_server(web: WebServer):
    output = web.cli("dns-records", "virtual.example").stdout
    records = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "IN" and not line.startswith(";"):
            records.setdefault((parts[0], parts[2]), []).append(" ".join(parts[3:]))
    assert records[("_pop3s._tcp.virtual.example.", "SRV")] == [f"0 1 995 {POP3_HOST}."]
    assert records[("_pop3._tcp.virtual.example.", "SRV")] == [f"10 1 110 {POP3_HOST}."]
    assert records[("_imaps._tcp.virtual.example.", "SRV")] == [f"0 1 993 {IMAP_HOST}."]
    assert records[("_imap._tcp.virtual.example.", "SRV")] == ["0 0 0 ."]
    assert records[("autoconfig.virtual.example.", "CNAME")] == [f"{PUBLIC_HOST}."]
    assert records[("virtual.example.", "MX")] == ["10 mail.alato.example."]
