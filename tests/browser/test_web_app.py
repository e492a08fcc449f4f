"""The web app's pages in a real headless Chromium, on a phone (390×844) and a desktop:
my children (search, filters, paging, empty state), worklists that act (counts on ARIA
tabs, paging, row actions), the case page (record, tel: links, timeline in China time,
the state at a version or a date, reload keeps the place), an auditor's stated purpose,
the notification bell against a real notify service, English, keyboard use, and axe-core
finding nothing serious or critical on any page. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from waitress.server import create_server

from services.cases.api import create_app
from services.cases.bootstrap import build_case_service
from services.cases.demo import seed_demo
from services.cases.projections.projector import catch_up
from services.notify.api import create_app as create_notify_app
from services.notify.bootstrap import NotifyService, build_notify
from services.notify.route.directory import DIRECTORY
from services.notify.route.inbox import deliver_to
from services.notify.route.rules import Alert
from services.notify.route.wording import no_guardian
from shared.settings import Settings
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    log_in,
    serious_accessibility_problems,
    shot,
    watch,
)
from tests.support import FixedClock

SUPERVISOR = ("supervisor", "demo-supervisor-2026")
DIRECTOR = ("director", "demo-director-2026")
CIVIL_CITY = ("civil-city", "demo-civil-2026")
AUDITOR = ("auditor", "demo-auditor-2026")


@dataclass(frozen=True)
class App:
    base_url: str
    notify_url: str
    bell_cases: list[str]  # the cases of the supervisor's two notifications
    notify: NotifyService


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(app: object, port: int = 0) -> tuple[object, str]:
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The case service on a small demo city and the notify service beside it, each on
    its own port as in production; the supervisor has two notifications."""
    notify_port = _free_port()
    settings = replace(
        Settings(data_dir=tmp_path_factory.mktemp("var")).with_generated_secrets(),
        notify_url=f"http://127.0.0.1:{notify_port}",
    )
    service = build_case_service(settings, clock=FixedClock())
    seed_demo(service, children=150, show_progress=False)
    catch_up(settings, service.cases, service.read_models.store)
    cases_app = create_app(settings, case_service=service)
    cases = _cases_of(cases_app, *SUPERVISOR)
    cases_server, base_url = _serve(cases_app)
    notify = build_notify(replace(settings, cases_url=base_url))
    with notify.db.transaction() as tx:
        register = DIRECTORY.handler("user.registered")
        assert register is not None
        register(
            tx,
            {
                "username": "supervisor",
                "role": "child_supervisor",
                "scope": "360124105",
                "display_name": "督导员",
                "email": None,
            },
        )
        for n, (case_id, village) in enumerate(cases):
            title, body = no_guardian(village, case_id, "2026-11-2" + str(n))
            alert = Alert(
                "no_guardian",
                f"test:{n}",
                1,
                case_id,
                village,
                title,
                body,
                (),
                f"2026-11-2{n}T08:00:00+00:00",
            )
            deliver_to(
                tx, alert, ["supervisor"], datetime(2026, 11, 29, 1, n, tzinfo=UTC), email=False
            )
    notify_server, notify_url = _serve(
        create_notify_app(notify.settings, notify=notify), notify_port
    )
    yield App(base_url, notify_url, [c for c, _ in cases], notify)
    notify_server.close()  # type: ignore[attr-defined]
    cases_server.close()  # type: ignore[attr-defined]
    notify.close()
    service.close()


def _cases_of(app: Flask, username: str, password: str) -> list[tuple[str, str]]:
    """The first two cases of the user's scope, through the API: (id, village)."""
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    items = client.get("/api/v1/cases?per_page=2", headers=headers).get_json()["items"]
    return [(item["id"], item["jurisdiction"]) for item in items]


@pytest.fixture(params=["phone", "desktop"])
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A page on a phone and on a desktop, zh-CN; it must raise nothing and keep its
    Content-Security-Policy."""
    phone = request.param == "phone"
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone, locale="zh-CN"
    )
    page = context.new_page()
    page.viewport = request.param  # type: ignore[attr-defined]
    errors, violations = watch(page)
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"
    assert violations == [], f"the page broke its Content-Security-Policy: {violations}"


def name(page: Page, what: str) -> str:
    """A screenshot's name for this viewport."""
    return f"app-{what}-{page.viewport}"  # type: ignore[attr-defined]


def no_serious_problems(page: Page) -> None:
    problems = serious_accessibility_problems(page)
    assert problems == [], f"axe-core: {problems}"


def fits(page: Page) -> None:
    if page.viewport == "phone":  # type: ignore[attr-defined]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# ---- my children -------------------------------------------------------------------------


def test_my_children_lists_the_village_and_searches_and_filters(page: Page, app: App) -> None:
    log_in(page, app.base_url, *DIRECTOR, "#/children")
    rows = page.locator("#children tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator(".pager .count")).to_contain_text(re.compile(r"共 \d+ 条"))
    fits(page)
    no_serious_problems(page)
    shot(page, name(page, "children"))

    first_name = rows.first.locator("td").first.inner_text()
    page.fill("input[name=q]", first_name)
    page.click("#children-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"#/children\?q="))
    expect(rows.first).to_contain_text(first_name)

    page.fill("input[name=q]", "")
    page.select_option("#filter-risk_level", "high")
    page.click("#children-filters button[type=submit]")
    expect(page).to_have_url(re.compile("risk_level=high"))
    for row in rows.all():
        assert "高" in row.inner_text() or "清单" in row.inner_text() or "没有" in row.inner_text()

    page.goto(f"{app.base_url}/dashboard#/children?q=无此人名")
    expect(page.locator("#children td.empty")).to_have_text("没有符合条件的儿童")


# ---- worklists that act ------------------------------------------------------------------


def test_worklists_show_counts_on_aria_tabs_and_act_on_each_row(page: Page, app: App) -> None:
    log_in(page, app.base_url, *CIVIL_CITY, "#/worklists/overdue-visits")
    tab = page.locator("#worklist-tabs [role=tab][data-worklist=overdue-visits]")
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(tab.locator(".badge")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator(".pager .count")).to_contain_text("共")
    row = page.locator("#worklist tbody tr").first
    expect(row.locator("a[data-action=visit]")).to_have_attribute(
        "href", re.compile(r"^#/cases/[0-9a-f-]+/visit$")
    )
    expect(row.locator("a[data-action=open]")).to_have_text("打开个案")
    fits(page)
    no_serious_problems(page)
    shot(page, name(page, "worklist"))

    # the keyboard: arrows move along the tabs, Enter opens one
    tab.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("[role=tab][data-worklist=no-guardian]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("[role=tab][data-worklist=no-guardian]")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page).to_have_url(re.compile("#/worklists/no-guardian"))
    # a row is reachable and opens its case with Enter
    first = page.locator("#worklist tbody tr").first
    first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#case-title")).to_be_visible()


# ---- the case page -------------------------------------------------------------------------


def test_the_case_page_shows_the_record_the_timeline_and_the_state_then(
    page: Page, app: App
) -> None:
    case_id = app.bell_cases[0]
    log_in(page, app.base_url, *SUPERVISOR, f"#/cases/{case_id}")
    expect(page.locator("#case-child")).to_contain_text("年龄")
    expect(page.locator("#case-guardian")).to_be_visible()
    tel = page.locator("a.tel").first
    expect(tel).to_have_attribute("href", re.compile(r"^tel:\+?\d+$"))
    timeline = page.locator("#timeline li")
    expect(timeline.first).to_contain_text("识别")
    expect(timeline.first).to_contain_text("发生于")
    expect(timeline.first).to_contain_text("记录于")
    expect(page.locator("#crumbs")).to_contain_text("张公镇")  # place names, not codes
    fits(page)
    no_serious_problems(page)
    shot(page, name(page, "case"))

    # the first entry, by keyboard: the state at version 1
    timeline.first.locator("a").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#case-when")).to_contain_text("第 1 版")
    expect(page.locator("#case-state dd").first).to_have_text("1")
    page.reload()  # the address keeps the place
    expect(page.locator("#case-when")).to_contain_text("第 1 版")
    page.go_back()
    expect(page.locator("#case-when")).to_have_text("当前状态")

    # as of a date (recording time, China): the demo was recorded today
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    page.fill("#as-of", today)
    page.click("#as-of-form button[type=submit]")
    expect(page.locator("#case-when")).to_have_text(f"{today} 时的状态")
    expect(page.locator("#case-state dd").first).not_to_have_text("1")


def test_an_auditor_states_a_purpose_before_a_case_opens(page: Page, app: App) -> None:
    case_id = app.bell_cases[0]
    log_in(page, app.base_url, *AUDITOR, f"#/cases/{case_id}")
    expect(page.locator("#purpose-form")).to_be_visible()
    expect(page.locator("#case-title")).to_have_count(0)
    no_serious_problems(page)
    page.fill("#purpose", "年度抽查")
    page.click("#purpose-form button[type=submit]")
    expect(page.locator("#case-title")).to_be_visible()
    token = page.evaluate("sessionStorage.getItem('careledger.token')")
    log = page.request.get(
        f"{app.base_url}/api/v1/audit/access-log?case_id={case_id}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert "年度抽查" in {entry["purpose"] for entry in log}


# ---- notifications -----------------------------------------------------------------------


def test_the_bell_counts_unread_lists_them_and_links_to_the_case(page: Page, app: App) -> None:
    with app.notify.db.transaction() as tx:  # both unread again (the other viewport read them)
        tx.execute("UPDATE notifications SET read_at = NULL")
    log_in(page, app.base_url, *SUPERVISOR)
    bell = page.locator("#bell")
    expect(page.locator("#bell-count")).to_have_text("2")
    bell.click()
    panel = page.locator("#bell-panel")
    expect(panel.locator("li")).to_have_count(2)
    expect(panel).to_contain_text("无人监护")
    no_serious_problems(page)
    shot(page, name(page, "bell"))
    # a notification opens its case's page, and is read
    panel.locator("li a.title").first.click()
    expect(page).to_have_url(re.compile(r"#/cases/[0-9a-f-]+$"))
    expect(page.locator("#case-title")).to_be_visible()
    expect(page.locator("#bell-count")).to_have_text("1")
    # mark the other read from the list
    page.locator("#bell").click()
    page.locator("#bell-panel button.mark-read").click()
    expect(page.locator("#bell-count")).to_be_hidden()


# ---- English -------------------------------------------------------------------------------


def test_the_case_page_is_complete_in_english(page: Page, app: App) -> None:
    case_id = app.bell_cases[0]
    log_in(page, app.base_url, *SUPERVISOR, f"#/cases/{case_id}")
    expect(page.locator("#case-child")).to_be_visible()
    page.click("#lang")
    expect(page.locator("#case-timeline-title")).to_have_text("Timeline")
    expect(page.locator("#case-guardian-title")).to_have_text("Guardian")
    assert page.title().startswith("CareLedger: left-behind")
    assert page.evaluate("document.documentElement.lang") == "en"
    no_serious_problems(page)
    shot(page, name(page, "case-english"))
    page.click("#lang")
    expect(page.locator("#case-timeline-title")).to_have_text("经过")


def test_the_login_and_overview_pages_have_no_serious_accessibility_problem(
    page: Page, app: App
) -> None:
    page.goto(f"{app.base_url}/dashboard")
    expect(page.locator("#login-form")).to_be_visible()
    no_serious_problems(page)
    shot(page, name(page, "login"))
    log_in(page, app.base_url, *CIVIL_CITY)
    expect(page.locator("#chart-trend canvas")).to_have_count(1)
    expect(page.locator("#crumbs")).to_contain_text("南昌市")
    # each chart's figures as a table too
    trend = page.locator("#chart-block-trend .chart-data summary")
    expect(trend).to_contain_text("近十二个月")
    trend.click()
    expect(page.locator("#chart-table-trend tbody tr")).to_have_count(12)
    no_serious_problems(page)


def test_a_child_is_found_by_id_number(page: Page, app: App) -> None:
    log_in(page, app.base_url, *CIVIL_CITY, "#/children")
    expect(page.locator("#children tbody tr").first).to_be_visible()
    token = page.evaluate("sessionStorage.getItem('careledger.token')")
    headers = {"Authorization": f"Bearer {token}"}
    found = None
    for case in page.request.get(
        f"{app.base_url}/api/v1/cases?per_page=50", headers=headers
    ).json()["items"]:
        record = page.request.get(
            f"{app.base_url}/api/v1/cases/{case['id']}", headers=headers
        ).json()
        if record["child"].get("id_number"):
            found = record
            break
    assert found is not None, "the demo city has children with ID numbers (12%)"
    page.fill("input[name=q]", found["child"]["id_number"])
    page.click("#children-filters button[type=submit]")
    rows = page.locator("#children tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(found["child"]["name"])


def test_police_see_their_mandatory_reports_without_an_error(page: Page, app: App) -> None:
    log_in(page, app.base_url, "police", "demo-police-2026")
    expect(page.locator("#worklist-tabs [role=tab]")).to_have_count(2)
    expect(page.locator("[role=tab][data-worklist=mandatory-reports]")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.locator("[role=tab][data-worklist=open-interventions]")).to_contain_text("在办干预")
    expect(page.locator("#worklist tbody tr").first).to_be_visible()
    expect(page.locator("#error")).to_have_text("")
    no_serious_problems(page)
