"""The web dashboard in a real headless Chromium: log in, drill down from the city to a
village, open a worklist and a case's timeline (and its state at a point of it), switch
language, and fit a phone's screen; and the API docs page. Every page runs under the
strict Content-Security-Policy with no violation reported. Screenshots are kept under
test-artifacts/browser/."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from waitress.server import create_server

from services.cases.api import create_app
from services.cases.bootstrap import build_case_service
from services.cases.demo import seed_demo
from services.cases.projections.projector import catch_up
from shared.settings import Settings
from tests.browser.conftest import DESKTOP, shot, watch
from tests.browser.conftest import log_in as login_page
from tests.support import FixedClock


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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors, violations = watch(page)
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"
    assert violations == [], f"the page broke its Content-Security-Policy: {violations}"


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    login_page(page, base_url, username, password)
    expect(page.locator("#figures .figure").first).to_be_visible()


def test_a_city_official_logs_in_and_drills_down_to_a_village(page: Page, base_url: str) -> None:
    log_in(page, base_url, "civil-city", "demo-civil-2026")
    active = page.locator(".figure[data-key=active] .value")
    # The 150 seeded children less the closed cases and the three the demo director's
    # latest identifications awaiting review (复核: not counted until confirmed).
    expect(active).to_have_text("136")
    expect(page.locator("#chart-trend canvas")).to_have_count(1)  # echarts drew the trend
    shot(page, "1-city")

    breakdown = page.locator("#breakdown")
    breakdown.locator("tbody tr", has_text="进贤县").click()
    expect(breakdown).to_have_attribute("data-scope", "360124")
    breakdown.locator("tbody tr").first.click()  # a township
    expect(breakdown).to_have_attribute("data-scope", re.compile(r"^360124\d{3}$"))
    expect(page.locator("#crumbs a")).to_have_count(3)
    breakdown.locator("tbody tr").first.click()  # a village
    expect(breakdown).to_have_attribute("data-scope", re.compile(r"^360124\d{6}$"))
    expect(page.locator("#crumbs a")).to_have_count(4)
    expect(page.locator(".figure[data-key=active] .value")).not_to_have_text("136")
    shot(page, "2-village")


def test_a_worklist_opens_a_case_timeline_and_its_state_at_a_version(
    page: Page, base_url: str
) -> None:
    log_in(page, base_url, "civil-city", "demo-civil-2026")
    page.click("#worklist-tabs [data-worklist=overdue-visits]")
    page.locator("#worklist tbody tr").first.click()
    expect(page.locator("#timeline li").first).to_contain_text("识别")
    shot(page, "3-case-timeline")

    page.locator("#timeline li").first.click()
    expect(page.locator("#case-when")).to_contain_text("第 1 版")
    expect(page.locator("#case-state dd").first).to_have_text("1")
    shot(page, "4-case-at-version-1")


def test_a_lapsed_access_token_is_renewed_and_logging_out_ends_the_session(
    page: Page, base_url: str
) -> None:
    # given: a session whose access token has lapsed (they live minutes)
    log_in(page, base_url, "director", "demo-director-2026")
    refresh_token = page.evaluate("sessionStorage.getItem('careledger.refresh')")
    page.evaluate("sessionStorage.setItem('careledger.token', 'lapsed')")
    # when
    page.reload()
    # then: the refresh token bought a new one and the dashboard opened
    expect(page.locator("#figures .figure").first).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('careledger.token')") != "lapsed"
    # and logging out revokes the session, its refresh token too
    page.click("#logout")
    expect(page.locator("#login-form")).to_be_visible()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        again = page.request.post(
            f"{base_url}/api/v1/auth/refresh", data={"refresh_token": refresh_token}
        )
        if again.status == 401:
            break
        time.sleep(0.1)
    assert again.status == 401


def test_the_language_switches_to_english_and_back(page: Page, base_url: str) -> None:
    log_in(page, base_url, "director", "demo-director-2026")
    expect(page.locator(".figure[data-key=active] .label")).to_have_text("在册儿童")
    page.click("#lang")
    expect(page.locator(".figure[data-key=active] .label")).to_have_text("Active children")
    expect(page.locator("#logout")).to_have_text("Log out")
    shot(page, "5-english")
    page.click("#lang")
    expect(page.locator("#logout")).to_have_text("退出")


def test_the_dashboard_fits_a_phone_screen(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors, violations = watch(page)
    log_in(page, base_url, "supervisor", "demo-supervisor-2026")
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, "6-phone")
    context.close()
    assert width <= 390, "the page scrolls sideways on a phone"
    assert errors == [] and violations == [], f"{errors} {violations}"


def test_a_chart_tooltip_shows_under_the_strict_policy(page: Page, base_url: str) -> None:
    log_in(page, base_url, "civil-city", "demo-civil-2026")
    chart = page.locator("#chart-trend")
    expect(chart.locator("canvas")).to_have_count(1)
    chart.scroll_into_view_if_needed()  # below the fold under the app's header and tools
    box = chart.bounding_box()
    assert box is not None
    # when the pointer rests on a month of the trend
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # then its tooltip shows (the page's fixture finds no policy violation)
    expect(chart).to_contain_text("月末在册")
    shot(page, "7-tooltip")
    # and on the grandparents' slice of the guardians' ring (an item tooltip)
    page.locator("#chart-guardians").scroll_into_view_if_needed()
    ring = page.locator("#chart-guardians").bounding_box()
    assert ring is not None
    page.mouse.move(ring["x"] + ring["width"] / 2, ring["y"] + ring["height"] * 0.75)
    expect(page.locator("#chart-guardians")).to_contain_text("祖父母")


def test_the_api_docs_page_works_under_its_first_party_policy(page: Page, base_url: str) -> None:
    response = page.goto(f"{base_url}/api/v1/docs")
    assert response is not None
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CareLedger cases")
    expect(page.locator(".opblock").first).to_be_visible()
    shot(page, "8-api-docs")


def test_a_locked_out_login_says_when_to_try_again(page: Page, base_url: str) -> None:
    # An unknown username, so the other tests' users stay unlocked.
    page.goto(f"{base_url}/dashboard")
    answers = []
    for _ in range(6):
        page.fill("input[name=username]", "intruder")
        page.fill("input[name=password]", "wrong password")
        with page.expect_response("**/api/v1/auth/token") as response:
            page.click("#login-form button[type=submit]")
        answers.append(response.value.status)
    assert answers == [401] * 5 + [429]
    expect(page.locator("#login-error")).to_have_text("登录失败次数过多，请 30 秒后再试")
    shot(page, "login-locked-out")
