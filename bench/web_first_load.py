"""Benchmark: the web app's first visit over a slow phone connection, beside the old page.

    python bench/web_first_load.py [--quick]

One case service (a 150-child demo city) serves both pages from one process, each on its
own loopback port so neither shares the other's cache: the built app (`/dashboard`, from
services/cases/web/dist: hashed, precompressed, ECharts split off and loaded after login)
and the old page, its files checked out of git at 6b1d3ff into a temporary folder and
served as it was then (three scripts in the page, the full 1.1 MB echarts.min.js from
node_modules, no compression, no caching).

Chromium (headless, the system's) loads each page in a fresh context with the DevTools
network throttled to 400 kbit/s down and up with 400 ms round trips, and records:

- **login form**: from navigation start until `#login-form` is visible;
- **bytes to login**: bytes on the wire (encoded, headers included) until then;
- **worklist**: from pressing "log in" until the first worklist row is on screen;
- **charts**: from pressing "log in" until the trend chart has drawn its canvas;
- **bytes total**: bytes on the wire once the charts are drawn.

The old page is the baseline of the same run; the ratios say how much the new is faster
or lighter. `--quick` measures each page once, otherwise three times (the median is
reported). Figures go to bench/results/web_first_load.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
RESULTS = HERE / "results"
OLD_COMMIT = "6b1d3ff"
OLD_FILES = ("dashboard.html", "dashboard.js", "i18n.js", "dashboard.css")
ECHARTS = ROOT / "services" / "cases" / "web" / "node_modules" / "echarts" / "dist"
KBIT = 1000 / 8  # bytes per second in a kbit/s
SLOW = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * KBIT,
    "uploadThroughput": 400 * KBIT,
}
USER = ("civil-city", "demo-civil-2026")
TIMEOUT_MS = 180_000


@dataclass(frozen=True)
class Load:
    login_form_s: float
    bytes_to_login: int
    worklist_s: float
    charts_s: float
    bytes_total: int


def old_page_folder(tmp: Path) -> Path:
    """The old page's files, as committed at OLD_COMMIT."""
    folder = tmp / "old-static"
    folder.mkdir()
    for name in OLD_FILES:
        blob = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:services/cases/web/static/{name}"],
            capture_output=True,
            check=True,
        ).stdout
        (folder / name).write_bytes(blob)
    return folder


def old_app(cases_app: Any, folder: Path) -> Any:
    """The old way: /dashboard and its files from `folder`, echarts.min.js from
    node_modules, uncompressed; everything else (the API) from the case service."""
    from flask import Flask, send_from_directory

    files = Flask("old-dashboard", static_folder=None)
    files.add_url_rule(
        "/dashboard", "page", lambda: send_from_directory(folder, "dashboard.html", max_age=0)
    )
    files.add_url_rule(
        "/dashboard/static/<path:name>",
        "static",
        lambda name: send_from_directory(folder, name, max_age=0),
    )
    files.add_url_rule(
        "/dashboard/vendor/echarts.min.js",
        "vendor",
        lambda: send_from_directory(ECHARTS, "echarts.min.js", max_age=3600),
    )

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith("/dashboard"):
            return files(environ, start_response)
        return cases_app(environ, start_response)

    return dispatch


def serve(app: Any) -> tuple[Any, str]:
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def measure(browser: Any, url: str) -> Load:
    """One cold first visit of `url` over the slow connection, then a login."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW)
    received = [0]
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.__setitem__(0, received[0] + int(e["encodedDataLength"])),
    )
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        page.wait_for_selector("#login-form", state="visible", timeout=TIMEOUT_MS)
        login_form = time.perf_counter() - start
        bytes_to_login = received[0]
        page.fill("input[name=username]", USER[0])
        page.fill("input[name=password]", USER[1])
        start = time.perf_counter()
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#worklist tbody tr", state="visible", timeout=TIMEOUT_MS)
        worklist = time.perf_counter() - start
        page.wait_for_selector("#chart-trend canvas", timeout=TIMEOUT_MS)
        charts = time.perf_counter() - start
        page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        return Load(login_form, bytes_to_login, worklist, charts, received[0])
    finally:
        context.close()


def median_load(loads: list[Load]) -> Load:
    return Load(
        *(statistics.median(getattr(x, f) for x in loads) for f in Load.__dataclass_fields__)  # type: ignore[arg-type]
    )


def run(runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from services.cases.api import create_app
    from services.cases.bootstrap import build_case_service
    from services.cases.demo import seed_demo
    from services.cases.projections.projector import catch_up
    from shared.settings import Settings

    dist = ROOT / "services" / "cases" / "web" / "dist" / "index.html"
    if not dist.exists() or not (ECHARTS / "echarts.min.js").exists():
        raise SystemExit("the web app is not built: run ./dev test (or npm ci && npm run build)")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        raise SystemExit("Chromium is not installed: ./dev test installs it")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings(data_dir=tmp / "var").with_generated_secrets()
        service = build_case_service(settings)
        seed_demo(service, children=150, show_progress=False)
        catch_up(settings, service.cases, service.read_models.store)
        cases_app = create_app(settings, case_service=service)
        new_server, new_url = serve(cases_app)
        old_server, old_url = serve(old_app(cases_app, old_page_folder(tmp)))
        results: dict[str, list[Load]] = {"old": [], "new": []}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=executable,
                    args=["--no-sandbox", "--disable-gpu", "--disable-quic"],
                )
                for _ in range(runs):  # interleaved, so a busy moment hits both alike
                    results["old"].append(measure(browser, f"{old_url}/dashboard"))
                    results["new"].append(measure(browser, f"{new_url}/dashboard"))
                browser.close()
        finally:
            new_server.close()
            old_server.close()
            service.close()
    old, new = median_load(results["old"]), median_load(results["new"])
    return {
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "network": "400 kbit/s down and up, 400 ms round trip (DevTools throttling)",
        "runs": runs,
        "old": vars(old),
        "new": vars(new),
        "ratio_new_to_old": {
            k: round(getattr(new, k) / getattr(old, k), 3) for k in Load.__dataclass_fields__
        },
    }


def render(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"First visit at 400 kbit/s, 400 ms RTT · median of {results['runs']}")
    for column in (
        "",
        "login form",
        "bytes to login",
        "worklist after login",
        "charts after login",
        "bytes total",
    ):
        table.add_column(column, justify="right")
    for name in ("old", "new"):
        x = results[name]
        table.add_row(
            f"{name} page",
            f"{x['login_form_s']:.1f} s",
            f"{x['bytes_to_login'] / 1024:,.0f} KiB",
            f"{x['worklist_s']:.1f} s",
            f"{x['charts_s']:.1f} s",
            f"{x['bytes_total'] / 1024:,.0f} KiB",
        )
    r = results["ratio_new_to_old"]
    table.add_row(
        "new / old",
        f"{r['login_form_s']:.2f}",
        f"{r['bytes_to_login']:.2f}",
        f"{r['worklist_s']:.2f}",
        f"{r['charts_s']:.2f}",
        f"{r['bytes_total']:.2f}",
    )
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one load of each page")
    args = parser.parse_args(argv)
    results = run(1 if args.quick else 3)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web_first_load.json").write_text(json.dumps(results, indent=2))
    render(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
