"""Browser tests of the staff console: a real server on a demo-loaded database, driven by
Python Playwright through Debian's Chromium (no browser download).

The server runs as a subprocess (``bancheng serve``) against a temporary data directory
that ``bancheng db upgrade`` and ``bancheng demo load`` fill; it serves the built console
from ``web/dist`` (``cd web && npm run build``). Screenshots go to
``test-output/screenshots/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port, stop, wait_healthy

REPO = Path(__file__).resolve().parents[2]
WEB_DIST = REPO / "web" / "dist"
SCREENSHOTS = REPO / "test-output" / "screenshots"
CHROMIUM = os.environ.get("BANCHENG_CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "E2e-Demo-Passw0rd!"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "bancheng.cli", *args]


@dataclass
class Server:
    base: str
    data_dir: Path
    password: str

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # `make test` builds the console and installs Chromium first; a run without them
    # fails rather than passing silently.
    if not (WEB_DIST / "index.html").exists():
        pytest.fail("web/dist is not built: run `cd web && npm ci && npm run build`")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    data_dir = tmp_path_factory.mktemp("e2e-data")
    env = {
        **os.environ,
        "BANCHENG_DATA_DIR": str(data_dir),
        "BANCHENG_DEMO_PASSWORD": DEMO_PASSWORD,
        "BANCHENG_ENV": "development",
    }
    env.pop("BANCHENG_DATABASE_URL", None)
    for args in (("db", "upgrade"), ("demo", "load", "--cases", "120")):
        done = subprocess.run(
            _cli(*args), env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            pytest.fail(f"bancheng {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    with serving(env, data_dir, "serve.log") as base:
        yield Server(base=base, data_dir=data_dir, password=DEMO_PASSWORD)


@contextmanager
def serving(env: dict[str, str], data_dir: Path, log_name: str) -> Iterator[str]:
    """``bancheng serve`` on a free port with ``env``, its output in ``data_dir/log_name``;
    yields its base URL once ``/api/health`` answers, and stops it afterwards."""
    port = free_port()
    log_path = data_dir / log_name
    log = log_path.open("w")
    proc = subprocess.Popen(
        _cli("serve", "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    if not wait_healthy(base, proc, 180):  # a loaded 2-core CI machine starts slowly
        proc.kill()
        log.close()
        pytest.fail("server did not start:\n" + log_path.read_text())
    try:
        yield base
    finally:
        stop(proc, 10)
        log.close()


@pytest.fixture(scope="session")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def watch_csp(page: Any, errors: list[str]) -> None:
    """Record every Content-Security-Policy violation the page reports in its console."""

    def on_console(msg: Any) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            errors.append(f"CSP: {msg.text}")

    page.on("console", on_console)


class Console:
    """One signed-in member of staff: a browser context with its own cookies."""

    def __init__(self, server: Server, context: Any, username: str) -> None:
        self.server = server
        self.context = context
        self.username = username
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        watch_csp(self.page, self.errors)

    def goto(self, path: str) -> Any:
        self.page.goto(self.server.url(path))
        return self.page

    def login(self) -> Console:
        page = self.goto("/login")
        page.locator("input[name=username]").fill(self.username)
        page.locator("input[name=password]").fill(self.server.password)
        page.locator("button[type=submit]").click()
        page.wait_for_url(lambda u: "/login" not in u)
        return self

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the API with this user's session (and its CSRF token)."""
        csrf = next((c["value"] for c in self.context.cookies() if c["name"] == "bc_csrf"), "")
        resp = self.context.request.fetch(
            self.server.url(path),
            method=method,
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
            data=json.dumps(body) if body is not None else None,
        )
        assert resp.ok, f"{method} {path}: {resp.status} {resp.text()}"
        return resp.json() if resp.status != 204 else None

    def shot(self, directory: Path, name: str, *, full_page: bool = True) -> None:
        """Save a screenshot; a dialog (fixed overlay) is best taken as the viewport."""
        self.page.wait_for_timeout(400)  # let transitions settle
        if full_page:
            self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(directory / f"{name}.png"), full_page=full_page)


# The ``sign_in`` fixture: a console signed in as the named user.
SignIn = Callable[[str], Console]


@pytest.fixture
def sign_in(server: Server, browser: Any) -> Iterator[SignIn]:
    opened: list[Console] = []

    def open_as(username: str) -> Console:
        ctx = browser.new_context(
            viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        ctx.set_default_timeout(15_000)
        # Assertions wait as long as actions: on a loaded 2-core CI machine a write can queue
        # behind a background job's SQLite write lock for several seconds.
        from playwright.sync_api import expect

        expect.set_options(timeout=15_000)
        console = Console(server, ctx, username).login()
        opened.append(console)
        return console

    yield open_as
    for c in opened:
        assert not c.errors, f"JavaScript errors for {c.username}: {c.errors}"
        c.context.close()


def make_png(path: Path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 200), (240, 244, 250))
    draw = ImageDraw.Draw(img)
    draw.rectangle((20, 20, 300, 180), outline=(192, 57, 43), width=6)
    draw.text((40, 90), "receipt scan", fill=(20, 20, 20))
    img.save(path, "PNG")
    return path


def make_pdf(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (200, 280), (255, 255, 255)).save(path, "PDF")
    return path


def window_case(kind: str, title: str, description: str, name: str, phone: str) -> dict[str, Any]:
    """A case registered at the window: what the clerk posts to ``/api/v1/cases``."""
    return {
        "channel": "window",
        "kind": kind,
        "title": title,
        "description": description,
        "reporter": {"name": name, "phone": phone},
    }
