"""Browser end-to-end fixtures: the real app under gunicorn, a real Chromium, and the page checks.

The server is the app as it is deployed: gunicorn with two workers, the development config, a
fresh database prepared by the CLI as `make run` does (migrations, compliance rules, demo data,
a compliance scan). The browser tests
always use a fresh SQLite file, also when TEST_DATABASE_URL is set: they test the interface;
both database dialects are covered by the rest of the suite.

Chromium is Debian's (/usr/bin/chromium), not Playwright's download (which needs the Internet).
Without it the tests are skipped with the reason, except when CI is set: there it is a failure.

A Tour is one user's browser context. While it is open it records console errors, JavaScript
errors, CSP violations, failed requests, 5xx answers, and every request for a host other than
127.0.0.1 (which it blocks). Tour.check(), called on every page a test visits, writes a screenshot
to artifacts/screenshots/<test>/ and then fails the test on any of those, or on an input without
a label, horizontal scrolling, an asset that did not load, or Chinese text without a CJK font.
"""

import itertools
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.support import Translations
from playwright.sync_api import expect, sync_playwright

from emergency.demo.services import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
#: Where the journeys' screenshots go (relative to the repository); CI keeps artifacts/.
SCREENSHOTS = ROOT / os.environ.get("SCREENSHOT_DIR", "artifacts/screenshots")
TIMEOUT_MS = 10_000

#: Inputs, selects and textareas a user can reach that have neither a <label> nor an aria-label.
UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  // A button-like input is named by its value, as screen readers read it.
  .filter(el => !(['submit', 'button', 'reset'].includes(el.type) && el.value.trim()))
  .filter(el => !(el.getAttribute('aria-label') || '').trim()
             && ![...(el.labels || [])].some(label => label.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 200))"""
STYLESHEETS_NOT_LOADED_JS = """() => [...document.querySelectorAll('link[rel=stylesheet]')]
  .filter(link => !link.sheet).map(link => link.href)"""
#: Reports each CSP violation to the Tour; window.__cspReported counts the ones it has received.
REPORT_CSP_JS = """window.__cspReported = 0;
document.addEventListener('securitypolicyviolation', e => window.__reportCsp(
  `${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} in ${e.documentURI}`
  + (e.sample ? `: ${e.sample}` : '')).then(() => window.__cspReported++));"""
_ZH = Translations.load(str(ROOT / "emergency" / "translations"), ["zh"])
CJK = re.compile(r"[\u3400-\u9fff]")
CJK_FONT = re.compile(r"CJK|Source Han|WenQuanYi|Droid Sans Fallback|Hei|Song|Ming", re.I)


def zh(msgid: str, **params) -> str:
    """Return what the Chinese interface shows for msgid (from the catalog the server uses)."""
    text = _ZH.gettext(msgid)
    return text % params if params else text


def _require_chromium() -> str:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = (f"the browser tests need Debian's Chromium at {CHROMIUM} "
              "(apt-get install chromium fonts-noto-cjk; .ci/run installs both)")
    if os.environ.get("CI"):
        pytest.fail(f"{reason}. CI is set, so a missing Chromium fails instead of skipping.",
                    pytrace=False)
    pytest.skip(f"Chromium not found: {reason}")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Return the Chromium executable, or skip (fail in CI) without it."""
    return _require_chromium()


@dataclass
class LiveServer:
    url: str
    db_path: Path
    log_path: Path

    def query(self, sql: str, *params):
        """Read from the server's database (to find ids the test cannot guess)."""
        with closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as conn:
            return conn.execute(sql, params).fetchall()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    if done.returncode:
        pytest.fail(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n"
                    f"{done.stderr}", pytrace=False)


def _wait_until_healthy(server: LiveServer, process: subprocess.Popen, timeout: float = 60):
    # No proxy: an http_proxy variable must not send a request for 127.0.0.1 elsewhere.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{server.log_tail()}",
                        pytrace=False)
        try:
            with opener.open(f"{server.url}/healthz", timeout=5):  # raises unless 2xx
                return
        except urllib.error.HTTPError as error:  # 503: the app runs but its database does not
            last = f"{error.code} {error.read().decode(errors='replace')}"
        except OSError as error:
            last = repr(error)
        time.sleep(0.1)  # polling a starting process, not waiting for the page under test
    pytest.fail(f"{server.url}/healthz not healthy within {timeout}s (last: {last}):\n"
                f"{server.log_tail()}", pytrace=False)


@pytest.fixture(scope="package")
def live_server(chromium, tmp_path_factory):
    """Serve the real app with gunicorn on a free port, with the demo data loaded.

    Package scope: started for the first browser test, stopped after the last one, so the rest
    of the suite does not run beside an idle server and browser.
    """
    base = tmp_path_factory.mktemp("browser-server")
    db_path = base / "emergency.db"
    env = {**os.environ, "EMERGENCY_ENV": "development", "DATABASE_URL": f"sqlite:///{db_path}",
           "SECRET_KEY": secrets.token_hex(32), "UPLOAD_ROOT": str(base / "uploads"),
           "PYTHONUNBUFFERED": "1"}
    # What `make run` does: the scan gives the dashboard its stored figures.
    for command in (("db", "upgrade"), ("compliance", "seed-rules"), ("demo", "load"),
                    ("compliance", "scan")):
        _flask(env, *command)
    port = _free_port()
    server = LiveServer(f"http://127.0.0.1:{port}", db_path, base / "gunicorn.log")
    with open(server.log_path, "w") as log:
        # No control socket: its default path is shared by every gunicorn of the user.
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--no-control-socket", "--timeout", "60", "--access-logfile", "-", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_healthy(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="package")
def browser(chromium):
    """Launch Chromium once for the browser tests (launch() gives it a fresh profile)."""
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Tour:
    """One user's browser context, its page, and what went wrong on it."""

    def __init__(self, context, label: str, shots: Path, counter):
        self.context = context
        self.label = label
        self.shots = shots
        self.counter = counter
        self.problems: list[str] = []
        self.allowed_errors: list[tuple[str, str]] = []
        self.unchecked: list[str] = []
        self.downloads: set[str] = set()
        self._aborted: list[tuple[str, str]] = []
        self._cdp = None
        context.route("**/*", self._route)
        context.expose_binding("__reportCsp", self._csp_violation)
        context.add_init_script(REPORT_CSP_JS)
        self.page = page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(
            f"JavaScript error on {page.url}: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("download", lambda download: self.downloads.add(download.url))
        page.on("response", self._response)
        page.on("framenavigated", self._navigated)

    # --- recording -------------------------------------------------------------------------

    def _route(self, route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.problems.append(f"request outside 127.0.0.1 (blocked): {route.request.url}")
            route.abort("blockedbyclient")

    def _csp_violation(self, _source, text: str):
        self.problems.append(f"CSP violation: {text}")

    def _console(self, message):
        if message.type != "error":
            return
        where = message.location.get("url", "")
        for url, text in self.allowed_errors:
            if where == url and text in message.text:
                return
        self.problems.append(f"console error on {where}: {message.text}")

    def _request_failed(self, request):
        failure = request.failure or ""
        if "ERR_BLOCKED_BY_CLIENT" in failure and urlsplit(request.url).hostname != "127.0.0.1":
            return  # already recorded by _route
        message = f"request failed ({failure}): {request.method} {request.url}"
        if failure == "net::ERR_ABORTED" and request.is_navigation_request():
            # Chromium ends a navigation that turns into a download this way; whether it did is
            # known only once the download event has come, so judge it at the next check.
            self._aborted.append((request.url, message))
            return
        self.problems.append(message)

    def _response(self, response):
        if response.status >= 500:
            self.problems.append(f"server error {response.status}: {response.url}")

    def _navigated(self, frame):
        if frame.parent_frame is None and frame.url != "about:blank":
            self.unchecked.append(frame.url)

    # --- what tests call -------------------------------------------------------------------

    def allow_console_error(self, url: str, text: str) -> None:
        """Expect one kind of console error on one URL (an error page the test asks for)."""
        self.allowed_errors.append((url, text))

    def take_problems(self) -> list[str]:
        self.problems += [message for url, message in self._aborted if url not in self.downloads]
        problems, self.problems, self._aborted = self.problems, [], []
        return problems

    def screenshot(self, step: str) -> Path:
        path = self.shots / f"{next(self.counter):02d}-{self.label}-{step}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def check(self, step: str) -> None:
        """Screenshot the page, then fail on anything wrong with it or recorded so far."""
        page = self.page
        page.wait_for_load_state("load")
        self.screenshot(step)
        self.problems += [message for url, message in self._aborted if url not in self.downloads]
        self._aborted = []
        missed, self.unchecked = self.unchecked[:-1], []
        assert not missed, f"[{step}] pages visited but never checked: {missed}"
        assert not self.problems, f"[{step}] " + "\n".join(self.take_problems())
        unlabelled = page.evaluate(UNLABELLED_JS)
        assert not unlabelled, f"[{step}] inputs without a label on {page.url}: {unlabelled}"
        scroll_width, inner_width = page.evaluate(
            "[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, (
            f"[{step}] {page.url} scrolls sideways: {scroll_width}px in a {inner_width}px window")
        assert page.evaluate(STYLESHEETS_NOT_LOADED_JS) == [], f"[{step}] a stylesheet did not load"
        assert page.evaluate("typeof window.bootstrap") == "object", (
            f"[{step}] Bootstrap's JavaScript did not load on {page.url}")
        if page.locator("html").get_attribute("lang") == "zh-CN":
            self._assert_chinese_renders(step)

    def _assert_chinese_renders(self, step: str) -> None:
        # The fonts Chromium really drew Chinese text with: tofu would come from a non-CJK font.
        # The heading, unless it has no Chinese (an error page's "404"); then the brand.
        selector = "h1"
        text = self.page.locator(selector).first.inner_text()
        if not CJK.search(text):
            selector = ".navbar-brand"
            text = self.page.locator(selector).inner_text()
        assert CJK.search(text), f"[{step}] no Chinese in the heading or the brand: {text!r}"
        if self._cdp is None:  # one session per page: the domains stay enabled across pages
            self._cdp = self.context.new_cdp_session(self.page)
            self._cdp.send("DOM.enable")
            self._cdp.send("CSS.enable")
        root = self._cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self._cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = self._cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert any(CJK_FONT.search(f["familyName"]) and f["glyphCount"] for f in fonts), (
            f"[{step}] {text!r} was not drawn with a CJK font (install fonts-noto-cjk): {fonts}")

    def log_in(self, username: str, *, keyboard: bool = False) -> None:
        """Log in through the login page (in Chinese), by mouse or by keyboard alone."""
        page = self.page
        page.goto("/login")
        expect(page.get_by_role("heading", name=zh("Log in"))).to_be_visible()
        self.check("login-page")
        if keyboard:
            self._type_login(username)
        else:
            page.get_by_label(zh("Username")).fill(username)
            page.get_by_label(zh("Password")).fill(DEMO_PASSWORD)
            page.get_by_role("button", name=zh("Log in")).click()
        expect(page).not_to_have_url(re.compile(r"/login"))
        # The log-out button (inside the collapsed menu on a phone) shows who is logged in.
        expect(page.locator("form[action$='/logout'] button")).to_be_attached()
        self.check("logged-in")

    def _type_login(self, username: str) -> None:
        keyboard = self.page.keyboard
        focused = "document.activeElement.id"
        for _ in range(20):
            keyboard.press("Tab")
            if self.page.evaluate(focused) == "username":
                break
        else:
            pytest.fail("Tab never reached the username field")
        keyboard.type(username)
        keyboard.press("Tab")
        assert self.page.evaluate(focused) == "password", "Tab from username skips the password"
        keyboard.type(DEMO_PASSWORD)
        keyboard.press("Enter")

    def nav(self, name: str) -> None:
        """Follow a link of the main navigation, opening the menu first on a phone."""
        page = self.page
        menu = page.get_by_role("button", name=zh("Menu"))
        if menu.is_visible():
            menu.click()
        navigation = page.get_by_role("navigation", name=zh("Main navigation"))
        navigation.get_by_role("link", name=name, exact=True).click()


CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture
def open_tour(browser, live_server, request):
    """Return open_tour(label, viewport=DESKTOP) -> Tour; checks and closes them at the end."""
    shots = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name.removeprefix("test_"))
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    counter = itertools.count(1)
    tours: list[Tour] = []

    def open_one(label: str, viewport: dict = DESKTOP) -> Tour:
        context = browser.new_context(base_url=live_server.url, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", viewport=viewport,
                                      accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        tour = Tour(context, label, shots, counter)
        tours.append(tour)
        return tour

    yield open_one
    failed = request.node.stash.get(CALL_FAILED, True)
    leftovers = []
    for tour in tours:
        if failed:
            try:
                tour.screenshot("FAILED")
            except Exception:  # the page may be gone; the test's own error is what matters
                pass
        leftovers += [f"{tour.label}: {problem}" for problem in tour.take_problems()]
        leftovers += [f"{tour.label}: page never checked: {url}" for url in tour.unchecked]
        tour.context.close()
    if not failed:
        assert not leftovers, "\n".join(leftovers)
