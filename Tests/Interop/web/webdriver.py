"""A minimal W3C WebDriver client for chromedriver, over plain HTTP with the standard library.

Only what the web scenarios need: open a page, type into a field, click, read text and
attributes, take a screenshot. Every call has a timeout; chromedriver is started on a free
loopback port and stopped by its PID.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

# The W3C WebDriver element reference key (WebDriver §12.2).
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
CALL_TIMEOUT = 60.0


class WebDriverError(AssertionError):
    """chromedriver or the browser did not do what was asked: a failure, never a skip."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromeDriver:
    """chromedriver plus one headless Chromium session."""

    def __init__(self, log_path: Path, *, language: str = "ja", window: tuple[int, int] = (412, 2400)) -> None:
        driver = shutil.which("chromedriver")
        browser = shutil.which("chromium")
        if driver is None or browser is None:
            raise WebDriverError("chromedriver or chromium missing: apt-get install -y chromium chromium-driver")
        self.port = _free_port()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "a", encoding="utf-8")
        self.process = subprocess.Popen([driver, f"--port={self.port}", "--allowed-ips=127.0.0.1"],
                                        stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        self.session_id: str | None = None
        try:
            self._wait_ready()
            capabilities = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "goog:chromeOptions": {
                    "binary": browser,
                    "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             f"--lang={language}", f"--window-size={window[0]},{window[1]}"],
                    "prefs": {"intl.accept_languages": language},
                },
            }}}
            self.session_id = self._call("POST", "/session", capabilities)["sessionId"]
        except BaseException:
            self.quit()
            raise

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise WebDriverError(f"chromedriver exited with {self.process.returncode}")
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except (OSError, WebDriverError):
                pass
            time.sleep(0.2)
        raise WebDriverError(f"chromedriver not ready within {timeout}s")

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise WebDriverError(f"{method} {path}: HTTP {error.code}: {error.read()[:500]!r}") from None
        return payload.get("value", {}) if isinstance(payload, dict) else {}

    def _session(self, method: str, path: str, body: dict | None = None):
        assert self.session_id is not None
        return self._call(method, f"/session/{self.session_id}{path}", body)

    # -- page ------------------------------------------------------------------------------

    def open(self, url: str) -> None:
        self._session("POST", "/url", {"url": url})

    @property
    def url(self) -> str:
        return self._session("GET", "/url")

    def find(self, css: str, timeout: float = 20.0) -> str:
        """The element matching `css`, waiting (bounded) for it to appear."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._session("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]
            except WebDriverError:
                if time.monotonic() > deadline:
                    raise WebDriverError(f"no element {css!r} within {timeout}s at {self.url}") from None
                time.sleep(0.2)

    def type(self, element: str, text: str) -> None:
        self._session("POST", f"/element/{element}/clear", {})
        self._session("POST", f"/element/{element}/value", {"text": text})

    def click(self, element: str) -> None:
        self._session("POST", f"/element/{element}/click", {})

    def text(self, element: str) -> str:
        return self._session("GET", f"/element/{element}/text")

    def attribute(self, element: str, name: str) -> str | None:
        return self._session("GET", f"/element/{element}/attribute/{name}")

    def page_source(self) -> str:
        return self._session("GET", "/source")

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self._session("GET", "/screenshot")))

    def quit(self) -> None:
        try:
            if self.session_id is not None:
                self._call("DELETE", f"/session/{self.session_id}")
        except (OSError, WebDriverError):
            pass
        finally:
            self.session_id = None
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(10)
            self._log.close()
