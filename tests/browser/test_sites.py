"""Care sites in a real headless Chromium on a phone's screen, on the demo city: civil
affairs see the figures and the list, register a site (a bad capacity refused beside its
field first, nothing written), open its page and move it planned → built; a child
director reads the same page with no form. axe-core finds nothing serious or critical.
Screenshots under test-artifacts/browser/."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from services.cases.demo.staff import DEMO_VILLAGE, PASSWORDS
from shared.roles import Role
from tests.browser.conftest import (
    PHONE,
    Server,
    log_in,
    serious_accessibility_problems,
    served_demo_city,
    shot,
    watch,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The case service on a small demo city (with its care sites), served by waitress."""
    with served_demo_city(tmp_path_factory, children=40) as served:
        yield served


def phone(browser: Browser, language: str = "en") -> Page:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.add_init_script(f"localStorage.setItem('careledger.lang', {language!r})")
    return context.new_page()


def test_civil_affairs_register_a_site_and_move_it_on_a_phone(
    server: Server, browser: Browser
) -> None:
    page = phone(browser)
    errors, violations = watch(page)
    log_in(page, server.url, "civil", PASSWORDS[Role.CIVIL_AFFAIRS], "#/sites")

    expect(page.locator("#sites-heading")).to_have_text("Care sites")
    expect(page.locator("#sites-standing .value")).not_to_have_text("0")
    assert page.locator("#sites tbody tr").count() >= 5
    assert page.locator("#sites-below tbody tr").count() >= 5  # the county's townships
    assert serious_accessibility_problems(page) == []
    shot(page, "sites-list-phone")

    page.click("#site-plan-open")
    page.fill("#f-target", "30")
    page.click("#form-site-plan button[type=submit]")
    expect(page.locator("#form-site-plan")).to_have_count(0)  # written: the list again
    server.catch_up()  # as the running projector would, shortly
    page.reload()
    expect(page.locator("#sites-plan .value")).to_contain_text("/ 30")
    before = server.service.cases.recorder.max_notification_id()

    page.click("#site-new-open")
    page.fill("#f-name", "浏览器测试儿童之家")
    page.fill("#f-jurisdiction", DEMO_VILLAGE)
    page.fill("#f-capacity", "0")
    page.fill("#f-staff-name", "刘芳")
    page.fill("#f-staff-phone", "13900139000")
    page.fill("#f-opening_hours", "16:00-18:30")
    page.click("#form-site button[type=submit]")
    expect(page.locator("#f-capacity-error")).to_be_visible()
    assert server.service.cases.recorder.max_notification_id() == before
    assert serious_accessibility_problems(page) == []
    shot(page, "sites-new-refused-phone")

    page.fill("#f-capacity", "25")
    page.click("#form-site button[type=submit]")
    expect(page.locator("#site-heading")).to_have_text("浏览器测试儿童之家")
    expect(page.locator("#site-status")).to_have_text("Planned")
    page.select_option("#f-status", "built")
    page.click("#form-site-move button[type=submit]")
    expect(page.locator("#site-status")).to_have_text("Built")
    expect(page.locator("#site-built-on")).not_to_have_text("—")
    assert serious_accessibility_problems(page) == []
    shot(page, "site-page-phone")
    assert errors == [] and violations == []


def test_a_child_director_reads_a_site_without_a_form(server: Server, browser: Browser) -> None:
    page = phone(browser, "zh-CN")
    errors, violations = watch(page)
    log_in(page, server.url, "director", PASSWORDS[Role.CHILD_DIRECTOR], "#/sites")

    expect(page.locator("#sites-heading")).to_have_text("关爱保护场所")
    assert page.locator("#site-new-open").count() == 0
    page.locator("#sites tbody tr").first.click()
    expect(page.locator("#site-heading")).to_be_visible()
    expect(page.locator("#site-actions")).to_contain_text("只读")
    assert page.locator("#form-site-move").count() == 0
    assert serious_accessibility_problems(page) == []
    shot(page, "site-page-director-phone")
    assert errors == [] and violations == []


def _call(base: str, path: str, token: str | None = None, body: Any = None) -> Any:
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def test_a_child_director_records_on_a_phone_that_a_child_attends_the_village_site(
    server: Server, browser: Browser
) -> None:
    login = {"username": "director", "password": PASSWORDS[Role.CHILD_DIRECTOR]}
    token = _call(server.url, "/api/v1/auth/token", body=login)["token"]
    listed = _call(server.url, "/api/v1/cases?status=active&per_page=50", token)["items"]
    case = next(
        c
        for c in (_call(server.url, f"/api/v1/cases/{row['id']}", token) for row in listed)
        if c["site_id"] is None
    )
    page = phone(browser)
    errors, violations = watch(page)
    log_in(page, server.url, "director", PASSWORDS[Role.CHILD_DIRECTOR], f"#/cases/{case['id']}")

    page.click("#case-actions button[data-form=attend_site]")
    page.select_option("#f-site_id", index=1)
    assert serious_accessibility_problems(page) == []
    page.click("#form-attend_site button[type=submit]")

    expect(page.locator("#case-site")).to_be_visible()
    after = _call(server.url, f"/api/v1/cases/{case['id']}", token)
    assert after["site_id"] is not None
    shot(page, "case-attends-site-phone")
    page.click("#case-site")
    expect(page.locator("#site-heading")).to_be_visible()
    assert errors == [] and violations == []


def test_a_visit_held_at_the_care_site_the_child_attends_in_chinese_on_a_phone(
    server: Server, browser: Browser
) -> None:
    """The visit form's picker offers the scope's open sites, the child's own first; it is
    reached with the Tab key; the visit is written with the site, and the case's visits
    name it."""
    login = {"username": "director", "password": PASSWORDS[Role.CHILD_DIRECTOR]}
    token = _call(server.url, "/api/v1/auth/token", body=login)["token"]
    listed = _call(server.url, "/api/v1/cases?status=active&per_page=50", token)["items"]
    attending = [
        c
        for c in (_call(server.url, f"/api/v1/cases/{row['id']}", token) for row in listed)
        if c["site_id"] is not None
    ]
    assert attending, "the demo village has no child attending its site"
    case = attending[0]
    site = _call(server.url, f"/api/v1/sites/{case['site_id']}", token)
    page = phone(browser, "zh-CN")
    errors, violations = watch(page)
    log_in(page, server.url, "director", PASSWORDS[Role.CHILD_DIRECTOR], f"#/cases/{case['id']}")

    page.click("#case-actions button[data-form=visit]")
    expect(page.locator("label[for=f-site_id]")).to_have_text("地点：关爱场所")
    expect(page.locator("#f-site_id")).to_have_value(case["site_id"])  # hers, chosen first
    expect(page.locator("#f-site_id option").first).to_have_text("不在关爱场所")
    page.focus("#f-visited_on")
    for _ in range(20):  # the date, the modes' radios, then the picker
        if page.evaluate("document.activeElement.id") == "f-site_id":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-site_id"
    assert serious_accessibility_problems(page) == []
    shot(page, "visit-at-site-form-phone")
    page.click("#form-visit button[type=submit]")

    expect(page.locator("#case-visits .visit-site").first).to_have_text(site["name"])
    after = _call(server.url, f"/api/v1/cases/{case['id']}", token)
    assert after["recent_visits"][-1]["site_id"] == case["site_id"]
    shot(page, "visit-at-site-case-phone")
    page.locator("#case-visits .visit-site").first.click()
    expect(page.locator("#site-heading")).to_have_text(site["name"])
    assert errors == [] and violations == []
