"""What every browser test shares: the system Chromium, the page watch (uncaught errors
and Content-Security-Policy violations fail the test), screenshots, logging in, and
axe-core (from the web app's node_modules) run inside the page."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE = ROOT / "services" / "cases" / "web" / "node_modules" / "axe-core" / "axe.min.js"
# Flags for a machine with no network beyond loopback and no GPU.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Chromium is not installed: ./dev test installs it (apt chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class Server:
    """The case service on a seeded demo city, served by waitress on a free port."""

    url: str
    settings: Any
    service: Any

    def catch_up(self) -> None:
        """Runs the projector until the read models hold every event written so far."""
        from services.cases.projections.projector import catch_up

        catch_up(self.settings, self.service.cases, self.service.read_models.store)


@contextmanager
def served_demo_city(tmp_path_factory: pytest.TempPathFactory, children: int) -> Iterator[Server]:
    """A demo city of `children` (today fixed), seeded and projected, served until closed."""
    from waitress.server import create_server

    from services.cases.api import create_app
    from services.cases.bootstrap import build_case_service
    from services.cases.demo import seed_demo
    from shared.settings import Settings
    from tests.support import FixedClock

    settings = Settings(data_dir=tmp_path_factory.mktemp("var")).with_generated_secrets()
    service = build_case_service(settings, clock=FixedClock())
    seed_demo(service, children=children, show_progress=False)
    http = create_server(
        create_app(settings, case_service=service), host="127.0.0.1", port=0, threads=4
    )
    server = Server(f"http://127.0.0.1:{http.effective_port}", settings, service)
    server.catch_up()
    threading.Thread(target=http.run, daemon=True).start()
    try:
        yield server
    finally:
        http.close()
        service.close()


def watch(page: Page) -> tuple[list[str], list[str]]:
    """The page's uncaught errors, and the Content-Security-Policy violations Chromium
    reports on the console ("Refused to load / execute / apply … because it violates the
    following Content Security Policy directive")."""
    errors: list[str] = []
    violations: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    return errors, violations


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page: Page, base_url: str, username: str, password: str, path: str = "") -> None:
    """Logs in on the app's login form; `path` ("#/children") is the page to land on."""
    page.goto(f"{base_url}/dashboard{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()


def serious_accessibility_problems(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it is now (the
    script is evaluated through the DevTools protocol, which the page's own policy does
    not govern: the page keeps its strict policy)."""
    assert AXE.exists(), "axe-core is missing: ./dev test installs it (npm ci)"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text("utf-8") + "\n;undefined")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations
              .filter((v) => v.impact === "serious" || v.impact === "critical")
              .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                             nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
        }"""
    )
    return found
