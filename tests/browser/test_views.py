"""The views of each role in a real headless Chromium, on the demo city: every login user
of the demo sees its view with no error and no empty chart, on a phone and on a desktop,
and axe-core finds nothing serious or critical; a department's tiles match its worklist;
the police see only their mandatory reports; tables sort by keyboard (aria-sort) and
export to an .xlsx whose figures are numbers; the print layout keeps the place, the date
and the figures; the ranking (考核) and the auditors' access log (filters, totals, paging)
each have their own address. Screenshots are kept under test-artifacts/browser/."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Route,
    ViewportSize,
    expect,
)
from pypdf import PdfReader
from waitress.server import create_server

from services.cases.api import create_app
from services.cases.bootstrap import build_case_service
from services.cases.demo import seed_demo
from services.cases.demo.staff import login_users
from services.cases.projections.projector import catch_up
from shared.settings import Settings
from tests.support import FixedClock

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE = ROOT / "services/cases/web/node_modules/axe-core/axe.min.js"
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
USERS = {u.username: u for u in login_users()}
DEPARTMENTS = ["education", "health", "womens"]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The case service on a small demo city, served by waitress as `careledger serve` is."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("var")).with_generated_secrets()
    service = build_case_service(settings, clock=FixedClock())
    seed_demo(service, children=150, show_progress=False)
    catch_up(settings, service.cases, service.read_models.store)
    server = create_server(
        create_app(settings, case_service=service), host="127.0.0.1", port=0, threads=4
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    service.close()


def open_page(browser: Browser, viewport: ViewportSize, language: str = "en") -> Page:
    """A page whose uncaught errors, failed API calls and CSP violations fail the test
    (checked by `assert_clean`); the app's language chosen before it loads."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    context.add_init_script(f"localStorage.setItem('careledger.lang', {language!r})")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            problems.append(f"csp: {message.text}")

    page.on("console", on_console)
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}") if "/api/" in r.url and r.status >= 400 else None
        ),
    )
    page.problems = problems  # type: ignore[attr-defined]
    return page


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = open_page(browser, DESKTOP)
    yield page
    assert_clean(page)
    page.context.close()


def assert_clean(page: Page) -> None:
    assert page.problems == [], f"the page had problems: {page.problems}"  # type: ignore[attr-defined]
    expect(page.locator("#error")).to_have_text("")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page: Page, base_url: str, username: str, path: str = "") -> None:
    page.goto(f"{base_url}/dashboard{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", USERS[username].password)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-form")).to_have_count(0)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it stands (injected through
    the DevTools protocol, which the page's CSP does not govern)."""
    page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))"
    )
    return found


def wait_for_view(page: Page) -> None:
    """The page is done: its last part (the charts, or the table of a list) is in place."""
    view = page.locator("#view")
    expect(view.locator(".loading")).to_have_count(0)
    if page.url.split("#")[-1].startswith("/overview/"):
        expect(page.locator("#charts .chart-block").first).to_be_visible()


def api_get(page: Page, base_url: str, username: str, path: str) -> Any:
    """What the API answers `username` (its own login, beside the page's)."""
    token = page.request.post(
        f"{base_url}/api/v1/auth/token",
        data={"username": username, "password": USERS[username].password},
    ).json()["token"]
    answer = page.request.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {token}"})
    assert answer.ok, answer.text()
    return answer.json()


# ---- every role --------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("username", list(USERS))
def test_each_role_sees_its_view_without_error_or_empty_chart(
    browser: Browser, base_url: str, username: str, viewport: ViewportSize
) -> None:
    page = open_page(browser, viewport)
    log_in(page, base_url, username)
    wait_for_view(page)
    role = USERS[username].role
    if role == "admin":
        expect(page.locator("#users tbody tr").first).to_be_visible()
    elif role == "auditor":
        expect(page.locator("#access-log-total")).to_be_visible()
    else:
        # Every chart drawn has data; a chart without any says so instead.
        for block in page.locator("#charts .chart-block").all():
            if block.locator(".chart-empty").count():
                expect(block.locator(".chart-empty")).to_contain_text("no data")
            else:
                expect(block.locator("canvas")).to_have_count(1)
                assert block.locator("table tbody tr").count() > 0
        expect(page.locator("#overview-heading")).not_to_have_text(re.compile(r"^\d+$"))
        expect(page.locator("#overview-as-of")).to_contain_text("2026-")
        # Every worklist tab the role is shown opens without an error.
        for tab in page.locator("#worklist-tabs [role=tab]").all():
            tab.click()
            expect(page.locator("#worklist")).to_be_visible()
            wait_for_view(page)
    assert axe_violations(page) == []
    shot(page, f"views-{username}-{'phone' if viewport is PHONE else 'desktop'}")
    assert_clean(page)
    page.context.close()


def test_the_police_see_their_mandatory_reports_and_the_breakdown_of_them(
    page: Page, base_url: str
) -> None:
    log_in(page, base_url, "police")
    wait_for_view(page)
    expect(page.locator("#figures .figure")).to_have_count(3)
    expect(page.locator("#figures .figure[data-key=mandatory_reports_open]")).to_be_visible()
    # their mandatory reports, and their open interventions (household registrations)
    expect(page.locator("#worklist-tabs [role=tab]")).to_have_count(2)
    expect(page.locator("#breakdown thead th")).to_have_count(4)
    expect(page.locator("#to-ranking")).to_have_count(0)
    summary = api_get(page, base_url, "police", "/api/v1/dashboard/summary")
    shown = page.locator("#figures .figure[data-key=mandatory_reports_open] .value")
    expect(shown).to_have_text(str(summary["mandatory_reports"]["open"]))


@pytest.mark.parametrize("username", DEPARTMENTS)
def test_a_departments_tiles_count_its_own_interventions_as_its_worklist_does(
    page: Page, base_url: str, username: str
) -> None:
    log_in(page, base_url, username)
    wait_for_view(page)
    overdue = api_get(page, base_url, username, "/api/v1/worklists/overdue-interventions")
    tile = page.locator("#figures .figure[data-key=overdue_interventions]")
    expect(tile.locator(".value")).to_have_text(str(overdue["total"]))
    expect(tile.locator(".label")).to_contain_text("own department")
    civil = api_get(page, base_url, "civil", "/api/v1/dashboard/summary")
    department = {"education": "education", "health": "health", "womens": "womens_federation"}
    own_open = civil["interventions"]["by_department"][department[username]]
    open_tile = page.locator("#figures .figure[data-key=open_interventions] .value")
    expect(open_tile).to_have_text(str(own_open))


# ---- officials ---------------------------------------------------------------------------


def test_place_names_as_of_and_the_trend_marks_the_month_to_date(page: Page, base_url: str) -> None:
    log_in(page, base_url, "civil-city")
    wait_for_view(page)
    expect(page.locator("#overview-heading")).to_have_text("南昌市")
    expect(page.locator("#breakdown tbody tr", has_text="进贤县")).to_have_count(1)
    expect(page.locator("#breakdown thead th[data-key=code]")).to_have_count(0)
    villages = page.locator("#worklist tbody tr td:nth-child(2)").all_inner_texts()
    assert villages and not any(re.fullmatch(r"\d{12}", v) for v in villages), villages
    trend = page.locator("#chart-table-trend tbody tr")
    expect(trend).to_have_count(12)
    expect(trend.last.locator("td").first).to_contain_text("month to date")
    # Another as-of date is its own address; back returns to today's figures.
    today = page.locator("#overview-as-of").inner_text()
    page.fill("#overview-as-of-form input[name=as_of]", "2026-01-31")
    page.click("#overview-as-of-form button[type=submit]")
    expect(page.locator("#overview-as-of")).to_contain_text("2026-01-31")
    assert "as_of=2026-01-31" in page.url
    expect(page.locator("#chart-table-trend tbody tr").last.locator("td").first).to_have_text(
        "2026-01"
    )
    page.reload()
    expect(page.locator("#overview-as-of")).to_contain_text("2026-01-31")
    page.go_back()
    expect(page.locator("#overview-as-of")).to_have_text(today)


def test_a_table_sorts_by_keyboard_and_keeps_its_order_in_the_address(
    page: Page, base_url: str
) -> None:
    log_in(page, base_url, "civil")
    wait_for_view(page)
    header = page.locator("#breakdown th[data-key=active]")
    button = header.locator("button")
    button.focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert "sort=active" in page.url
    values = [int(v) for v in page.locator("#breakdown tbody tr td:nth-child(2)").all_inner_texts()]
    assert values == sorted(values) and len(values) > 1
    page.keyboard.press("Space")
    expect(header).to_have_attribute("aria-sort", "descending")
    values = [int(v) for v in page.locator("#breakdown tbody tr td:nth-child(2)").all_inner_texts()]
    assert values == sorted(values, reverse=True)
    name = page.locator("#breakdown th[data-key=name]")
    expect(name).not_to_have_attribute("aria-sort", re.compile("."))
    page.reload()
    wait_for_view(page)
    expect(header).to_have_attribute("aria-sort", "descending")


def test_a_table_exports_to_excel_with_numbers_as_numbers(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    log_in(page, base_url, "civil")
    wait_for_view(page)
    with page.expect_download() as download:
        page.locator(".table-tools[data-tools-for=breakdown] button.export").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    shown = page.locator("#breakdown tbody tr")
    assert len(rows) == shown.count() + 1
    assert rows[0][0] == "Jurisdiction" and rows[0][1] == "Active children"
    first = shown.first.locator("td").all_inner_texts()
    assert rows[1][0] == first[0]
    assert isinstance(rows[1][1], int | float) and rows[1][1] == int(first[1])
    coverage = sheet.cell(row=2, column=6)
    # A share is a number (a whole village visited is 1, which openpyxl reads as an int).
    assert isinstance(coverage.value, int | float) and 0 <= coverage.value <= 1
    assert coverage.number_format == "0.0%"


def test_the_print_layout_keeps_the_place_the_date_and_the_figures(
    page: Page, base_url: str
) -> None:
    log_in(page, base_url, "civil")
    wait_for_view(page)
    page.emulate_media(media="print")
    expect(page.locator("#overview-heading")).to_be_visible()
    expect(page.locator("#overview-heading")).to_have_text("进贤县")
    expect(page.locator("#overview-as-of")).to_be_visible()
    expect(page.locator("#overview-as-of")).to_contain_text("2026-")
    expect(page.locator("#figures .figure").first).to_be_visible()
    expect(page.locator("#breakdown")).to_be_visible()
    for hidden in ("header", ".table-tools", "#overview-as-of-form", "#worklist-tabs"):
        expect(page.locator(hidden).first).to_be_hidden()
    page.pdf(path=str(ARTIFACTS / "views-print.pdf")) if ARTIFACTS.exists() else None
    page.emulate_media(media="screen")
    expect(page.locator("header")).to_be_visible()


def test_the_ranking_has_its_own_address_and_opens_an_overview(page: Page, base_url: str) -> None:
    log_in(page, base_url, "civil-city")
    wait_for_view(page)
    page.click("#to-ranking")
    expect(page.locator("#ranking tbody tr").first).to_be_visible()
    expect(page.locator("#ranking-heading")).to_contain_text("南昌市")
    expect(page.locator("#ranking")).to_have_attribute("data-level", "county")
    page.select_option("#ranking-level", "township")
    expect(page.locator("#ranking")).to_have_attribute("data-level", "township")
    assert "level=township" in page.url
    ranks = page.locator("#ranking tbody tr td:first-child").all_inner_texts()
    assert ranks[:3] == ["1", "2", "3"]
    page.reload()
    expect(page.locator("#ranking")).to_have_attribute("data-level", "township")
    assert axe_violations(page) == []
    page.locator("#ranking tbody tr").first.click()
    expect(page.locator("#overview-heading")).to_be_visible()
    assert re.search(r"#/overview/\d{9}", page.url)


# ---- auditors ----------------------------------------------------------------------------


def test_the_access_log_filters_totals_and_pages(page: Page, base_url: str) -> None:
    # Reads to audit: a county official's worklists log each child they list.
    reader = open_page(page.context.browser, DESKTOP)  # type: ignore[arg-type]
    log_in(reader, base_url, "civil")
    wait_for_view(reader)
    reader.context.close()

    log_in(page, base_url, "auditor")
    expect(page.locator("#access-log-total")).to_be_visible()
    total = int(re.sub(r"\D", "", page.locator("#access-log-total").inner_text()))
    assert total > 50, "enough reads for a second page"
    expect(page.locator("#access-log tbody tr")).to_have_count(50)
    expect(page.locator("#page-of")).to_have_text(f"Page 1 of {-(-total // 50)}")
    page.click("#page-next")
    expect(page.locator("#page-of")).to_contain_text("Page 2 of")
    assert "page=2" in page.url

    page.fill("#filter-username", "civil")
    page.click("#access-log-filters button[type=submit]")
    expect(page.locator("#page-of")).to_contain_text("Page 1 of")
    users = set(page.locator("#access-log tbody tr td:nth-child(2)").all_inner_texts())
    assert users == {"civil"}
    narrowed = int(re.sub(r"\D", "", page.locator("#access-log-total").inner_text()))
    assert 0 < narrowed <= total
    page.fill("#filter-since", "2030-01-01")
    page.click("#access-log-filters button[type=submit]")
    expect(page.locator("#access-log-total")).to_have_text("0 entries")
    expect(page.locator("#access-log td.empty")).to_be_visible()
    page.go_back()
    expect(page.locator("#access-log-total")).to_have_text(f"{narrowed:,} entries")
    assert axe_violations(page) == []
    shot(page, "views-access-log")


def test_a_page_still_loading_when_she_moves_on_never_covers_the_next(
    browser: Browser, base_url: str
) -> None:
    # given: on a phone over a slow connection, her overview's figures are still on the way
    page = open_page(browser, PHONE)
    held: list[Route] = []
    page.route("**/api/v1/dashboard/summary*", lambda route: held.append(route))
    log_in(page, base_url, "civil")
    expect(page.locator("#view .loading")).to_be_visible()
    for _ in range(250):  # events reach the route's handler while playwright waits
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the overview asked for its figures"

    # when: she opens the register, and only then do the overview's figures arrive
    page.click("#menu a[data-nav=register_title]")
    expect(page.locator("#register-heading")).to_be_visible()
    with page.expect_response(lambda r: "/api/v1/dashboard/trend" in r.url):
        for route in held:
            route.continue_()

    # then: the overview, done late, went nowhere: the register is what she sees and uses
    expect(page.locator("#figures")).to_have_count(0)
    expect(page.locator("#register-heading")).to_be_visible()
    expect(page.locator("#download-template")).to_be_enabled()
    assert_clean(page)
    page.context.close()


def test_the_views_speak_chinese_by_default(browser: Browser, base_url: str) -> None:
    page = open_page(browser, PHONE, language="zh-CN")
    log_in(page, base_url, "civil")
    wait_for_view(page)
    expect(page.locator("#overview-as-of")).to_contain_text("数据截至")
    expect(page.locator(".table-tools[data-tools-for=breakdown] button")).to_have_text("导出 Excel")
    trend = page.locator("#chart-table-trend tbody tr").last.locator("td").first
    expect(trend).to_contain_text("本月至今")
    page.goto(f"{base_url}/dashboard#/ranking/360124")
    expect(page.locator("#ranking-heading")).to_have_text("进贤县 考核排名")
    assert_clean(page)
    page.context.close()


def test_the_periodic_report_is_downloaded_from_the_overview_by_keyboard_on_a_phone(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    # given: county civil affairs on a phone, in Chinese
    page = open_page(browser, PHONE, language="zh-CN")
    log_in(page, base_url, "civil")
    wait_for_view(page)
    section = page.locator("#report")
    expect(section.locator("h2")).to_have_text("定期通报")
    # the server's today is 2026-11-29: the last quarter ended is chosen
    expect(page.locator("#report-period")).to_have_value("2026-Q3")

    # when: she picks this quarter and, by keyboard, asks for the PDF
    page.select_option("#report-period", "2026-Q4")
    page.focus("#report-period")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "report-pdf"
    with page.expect_download() as pdf:
        page.keyboard.press("Enter")

    # then: the PDF of her county, in Chinese
    path = tmp_path / pdf.value.suggested_filename
    pdf.value.save_as(path)
    assert path.suffix == ".pdf" and path.read_bytes()[:5] == b"%PDF-"
    text = "".join(p.extract_text() for p in PdfReader(path).pages)
    assert "农村留守儿童关爱保护工作定期通报（2026-Q4）" in text
    expect(page.locator("#report-status")).to_contain_text("2026-Q4")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"
    assert axe_violations(page) == []
    shot(page, "report-download-phone")
    assert_clean(page)
    page.context.close()


def test_the_report_workbook_in_english_gives_the_dashboards_figures(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    log_in(page, base_url, "civil")
    wait_for_view(page)
    page.select_option("#report-period", "2026-Q4")
    with page.expect_download() as xlsx:
        page.click("#report-xlsx")
    path = tmp_path / xlsx.value.suggested_filename
    xlsx.value.save_as(path)
    book = openpyxl.load_workbook(path)
    rows = {r[0]: r[1:] for r in book["Main figures"].iter_rows(min_row=3, values_only=True)}
    summary = api_get(page, base_url, "civil", "/api/v1/dashboard/summary")
    assert rows["Active children"][0] == summary["cases"]["active"] > 0
    assert rows["Overdue visits"][0] == summary["overdue_visits"]
