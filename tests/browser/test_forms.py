"""The web app's forms in a real headless Chromium on a phone's screen: each form's good
path (the write lands: checked through the API) and a bad path (the server's 422 shown
beside the field, in the user's language, and nothing written), the visit form sent by
keyboard alone, a conflict (412) reloaded and resent, English once, and axe-core on each
form with nothing serious or critical. Screenshots under test-artifacts/browser/."""

from __future__ import annotations

import copy
import itertools
import json
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from services.cases.demo.staff import DEMO_VILLAGE, PASSWORDS
from shared.roles import Role
from tests.browser.conftest import Server, served_demo_city, shot, watch
from tests.integration.survey_support import csv_bytes, id_number, survey_row, wrong_check_digit
from tests.support import IDENTIFY, INTERVENTION, TODAY

AXE = Path(__file__).resolve().parents[2] / "services/cases/web/node_modules/axe-core/axe.min.js"
PHONE: ViewportSize = {"width": 390, "height": 844}
LOGINS = {
    "director": PASSWORDS[Role.CHILD_DIRECTOR],
    "supervisor": PASSWORDS[Role.CHILD_SUPERVISOR],
    "civil": PASSWORDS[Role.CIVIL_AFFAIRS],
    "civil-city": PASSWORDS[Role.CIVIL_AFFAIRS],
}
NEIGHBOUR_VILLAGE = "360124105201"  # another village of the demo township


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The case service on a small demo city, served by waitress."""
    with served_demo_city(tmp_path_factory, children=60) as served:
        yield served


class Api:
    """The JSON API as a user, to set up cases and to check what a form wrote."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        answer = self.call(
            "POST", "/api/v1/auth/token", {"username": username, "password": LOGINS[username]}
        )
        self.token = answer["token"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(f"{self.base}{path}", method=method)
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read() or b"null")

    def case(self, case_id: str) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/cases/{case_id}")  # type: ignore[no-any-return]

    def events(self, case_id: str) -> list[str]:
        return [e["type"] for e in self.call("GET", f"/api/v1/cases/{case_id}/history")["events"]]

    def new_case(self, **child: Any) -> str:
        body = copy.deepcopy(IDENTIFY)
        body["address"]["jurisdiction"] = DEMO_VILLAGE
        body["child"].update(child)
        # Parents of their own: the same father's phone and birthday would make every
        # test's child a likely duplicate of the last (register/lookalikes.py).
        body["parents"][0]["phone"] = f"1370000{next(_PHONES):04d}"
        return str(self.call("POST", "/api/v1/cases", body)["id"])


_PHONES = itertools.count()


def phone(browser: Browser, lang: str = "zh-CN") -> tuple[Any, Page, list[str], list[str]]:
    context = browser.new_context(viewport=PHONE, locale=lang, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors, violations = watch(page)
    return context, page, errors, violations


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context, page, errors, violations = phone(browser)
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"
    assert violations == [], f"the page broke its Content-Security-Policy: {violations}"


def log_in(page: Page, server: Server, username: str, *, lang: str = "zh-CN") -> None:
    page.goto(f"{server.url}/dashboard")
    if lang != "zh-CN":
        page.evaluate(f"localStorage.setItem('careledger.lang', {json.dumps(lang)})")
        page.reload()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", LOGINS[username])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()


def open_form(page: Page, server: Server, case_id: str, name: str) -> None:
    page.goto(f"{server.url}/dashboard#/cases/{case_id}")
    page.click(f"#case-actions button[data-form={name}]")
    expect(page.locator(f"#form-{name}")).to_be_visible()


def axe_clean(page: Page) -> None:
    """axe-core finds nothing serious or critical on the page as it stands."""
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        "axe.run(document).then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length]))"
    )
    serious = [v for v in found if v[1] in ("serious", "critical")]
    assert serious == [], serious


def fits_the_screen(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


def field_error(page: Page, path: str) -> Any:
    return page.locator(f'[data-field="{path}"] > .field-error')


def tab_to(page: Page, where: str) -> None:
    """Presses Tab until `where` (a script) holds; fails after 80 presses."""
    for _ in range(80):
        if page.evaluate(where):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {where}")


TOMORROW = (TODAY + timedelta(days=1)).isoformat()
# A child director's identification is saved with its request for review (复核): the cases
# `Api.new_case` makes as "director" begin with both events.


# ---- record a visit ------------------------------------------------------------------------


def test_a_visit_is_recorded_by_keyboard_alone_with_the_defaults(
    page: Page, server: Server
) -> None:
    api = Api(server.url, "director")
    case_id = api.new_case(name="键盘走访")
    log_in(page, server, "director")
    page.goto(f"{server.url}/dashboard#/cases/{case_id}/visit")
    form = page.locator("#form-visit")
    expect(form).to_be_visible()
    expect(page.locator("#f-visited_on")).to_have_value(TODAY.isoformat())  # today, China
    expect(page.locator("#f-guardian_present")).to_be_checked()
    axe_clean(page)
    fits_the_screen(page)
    shot(page, "forms-1-visit-phone")

    # keyboard only: the focus starts in the form; choose "phone" with the arrow keys and
    # tab on to the submit button
    expect(page.locator("#f-visited_on")).to_be_focused()
    tab_to(page, "document.activeElement?.name === 'mode'")  # (the date has 3 parts)
    page.keyboard.press("ArrowRight")  # home → phone
    tab_to(page, "document.activeElement?.type === 'submit'")
    page.keyboard.press("Enter")

    expect(page.locator("#flash")).to_be_visible()
    expect(page.locator("#case-title")).to_contain_text("键盘走访")
    case = api.case(case_id)
    assert case["visit_count"] == 1
    assert case["recent_visits"][-1]["mode"] == "phone"
    assert case["recent_visits"][-1]["visited_on"] == TODAY.isoformat()
    assert api.events(case_id) == ["identified", "review_requested", "visited"]


def test_a_visit_dated_tomorrow_is_refused_beside_the_date_and_nothing_is_written(
    page: Page, server: Server
) -> None:
    api = Api(server.url, "director")
    case_id = api.new_case(name="明日走访")
    log_in(page, server, "director")
    open_form(page, server, case_id, "visit")
    page.fill("#f-visited_on", TOMORROW)
    page.click("#form-visit button[type=submit]")
    expect(field_error(page, "visited_on")).to_have_text("日期不能晚于今天")
    expect(page.locator("#f-visited_on")).to_have_attribute("aria-invalid", "true")
    axe_clean(page)
    shot(page, "forms-2-visit-refused")
    assert api.events(case_id) == ["identified", "review_requested"]


def test_a_visit_on_a_case_changed_meanwhile_is_reloaded_and_resent_once(
    page: Page, server: Server
) -> None:
    api = Api(server.url, "director")
    case_id = api.new_case(name="并发走访")
    log_in(page, server, "director")
    open_form(page, server, case_id, "visit")
    # someone else records a visit while the form is open
    other = {
        **{"mode": "home", "guardian_present": True, "living_conditions": "good"},
        "school_attendance": "regular",
        "emotional_state": "stable",
        "risk_level": "low",
        "visited_on": "2026-11-01",
    }
    api.call("POST", f"/api/v1/cases/{case_id}/visits", other)
    page.click("#form-visit button[type=submit]")
    expect(page.locator("#form-visit .form-status")).to_contain_text("已重新载入")
    expect(page.locator("#form-visit")).to_have_attribute("data-reloaded", "true")
    assert api.events(case_id) == ["identified", "review_requested", "visited"]
    page.click("#form-visit button[type=submit]")  # resend on the reloaded version
    expect(page.locator("#flash")).to_be_visible()
    assert api.events(case_id) == ["identified", "review_requested", "visited", "visited"]


def test_a_visit_whose_answer_is_lost_is_resent_with_its_key_and_written_once(
    page: Page, server: Server
) -> None:
    api = Api(server.url, "director")
    case_id = api.new_case(name="断网走访")
    keys: list[str | None] = []

    def answer_lost(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server writes the visit…
            route.abort("connectionreset")  # …and the phone never hears back
        else:
            route.continue_()

    log_in(page, server, "director")
    open_form(page, server, case_id, "visit")
    page.route(f"**/api/v1/cases/{case_id}/visits", answer_lost)
    page.click("#form-visit button[type=submit]")
    # the write waits on the phone (src/offline/) with its key…
    expect(page.locator("#flash")).to_have_text("已存在本机，联网后自动发送")
    # …and is resent with the same key when the queue is next sent
    page.evaluate("globalThis.careledger.flush()")
    expect(page.locator("#queue-status")).not_to_contain_text("待发送")

    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert api.events(case_id) == ["identified", "review_requested", "visited"]


def test_a_visit_to_a_case_moved_out_of_her_village_meanwhile_says_so(
    page: Page, server: Server
) -> None:
    api = Api(server.url, "director")
    case_id = api.new_case(name="已转走")
    log_in(page, server, "director")
    open_form(page, server, case_id, "visit")
    moved = {"jurisdiction": NEIGHBOUR_VILLAGE, "reason": "搬迁", "transferred_on": "2026-11-20"}
    Api(server.url, "supervisor").call("POST", f"/api/v1/cases/{case_id}/transfer", moved)
    page.click("#form-visit button[type=submit]")
    expect(page.locator("#form-visit .form-status")).to_contain_text("没有找到")
    assert Api(server.url, "supervisor").events(case_id) == [
        "identified",
        "review_requested",
        "transferred",
    ]


# ---- identify -------------------------------------------------------------------------------


def fill_child(page: Page, name: str) -> None:
    page.fill("#f-child-name", name)
    page.select_option("#f-child-sex", "male")
    page.fill("#f-child-birth_date", "2016-06-01")
    page.fill("#f-address-detail", "张公镇三组8号")
    page.fill("#f-guardian-name", "张奶奶")
    page.fill("#f-guardian-relation", "祖母")


def test_a_child_is_identified_after_the_rule_says_she_qualifies(
    page: Page, server: Server
) -> None:
    log_in(page, server, "director")
    page.click("#identify-link")
    expect(page.locator("#eligibility-rule")).to_contain_text("未满 16 周岁")
    expect(page.locator("#f-address-jurisdiction")).to_have_value(DEMO_VILLAGE)
    fill_child(page, "识别测试")
    page.locator("#f-child-birth_date").dispatch_event("change")
    expect(page.locator("#eligibility-verdict")).to_have_text("符合留守儿童条件")
    axe_clean(page)
    fits_the_screen(page)
    shot(page, "forms-3-identify-phone")
    page.click("#form-identify button[type=submit]")

    expect(page.locator("#case-title")).to_contain_text("识别测试")
    case_id = page.evaluate("location.hash").split("/")[2]
    case = Api(server.url, "director").case(case_id)
    assert case["child"]["name"] == "识别测试"
    assert case["parents"][0]["status"] == "working_away"


def test_a_child_who_does_not_qualify_is_explained_in_english_and_not_identified(
    browser: Browser,
    server: Server,
) -> None:
    context, page, errors, violations = phone(browser, "en")
    log_in(page, server, "director", lang="en")
    server.catch_up()
    before = Api(server.url, "director").call("GET", "/api/v1/cases?q=Mother%20home")["total"]
    page.goto(f"{server.url}/dashboard#/identify")
    expect(page.locator("#eligibility-rule")).to_contain_text("Under 16")
    fill_child(page, "Mother home")
    page.select_option("#f-parents-1-status", "at_home")
    expect(page.locator("#eligibility-verdict")).to_have_text(
        "Does not qualify: One parent works away but the other is at home and able to care"
    )
    page.click("#form-identify button[type=submit]")
    expect(field_error(page, "parents")).to_have_text(
        "One parent works away but the other is at home and able to care"
    )
    axe_clean(page)
    shot(page, "forms-4-identify-refused-en")
    server.catch_up()
    assert (
        Api(server.url, "director").call("GET", "/api/v1/cases?q=Mother%20home")["total"] == before
    )
    context.close()
    assert errors == [] and violations == []


# ---- every other form: a good path and a bad path --------------------------------------------


@dataclass
class Case:
    """One form's test: who uses it, how to fill it well and badly, what a good write
    leaves on the case, and which field the server refuses in the bad one."""

    form: str
    user: str
    good: Callable[[Page], None]
    landed: Callable[[dict[str, Any]], bool]
    bad: Callable[[Page], None]
    bad_field: str
    bad_reason: str
    prepare: Callable[[Api, str], None] = lambda api, case_id: None


def fill(values: dict[str, str]) -> Callable[[Page], None]:
    """Fills the form's controls: a value typed, or chosen from a drop-down."""

    def run(page: Page) -> None:
        for selector, value in values.items():
            control = page.locator(selector)
            if control.evaluate("e => e.tagName") == "SELECT":
                control.select_option(value)
            else:
                control.fill(value)

    return run


def _guardian(page: Page, entrusted: str = "2026-11-20") -> None:
    page.select_option("#f-guardian-type", "other_relative")
    page.fill("#f-guardian-name", "王叔叔")
    page.fill("#f-guardian-relation", "叔叔")
    expect(page.locator("#f-entrustment_signed_on")).to_be_hidden()
    page.check("#f-entrusted")
    page.fill("#f-entrustment_signed_on", entrusted)
    page.fill("#f-reason", "祖母住院")


def _guardian_without_name(page: Page) -> None:
    _guardian(page)
    page.fill("#f-guardian-name", "")


def _open_intervention(api: Api, case_id: str) -> None:
    api.call("POST", f"/api/v1/cases/{case_id}/interventions", INTERVENTION)


def _close(api: Api, case_id: str) -> None:
    body = {"reason": "moved_out", "closed_on": "2026-11-20", "note": None}
    api.call("POST", f"/api/v1/cases/{case_id}/closure", body)


def _check(page: Page, path: str, value: str) -> None:
    page.locator(f'[data-field="{path}"] input[value="{value}"]').check()


def _close_tomorrow(page: Page) -> None:
    _check(page, "reason", "parents_returned")
    page.fill("#f-closed_on", TOMORROW)


FORMS = [
    Case(
        "change_guardian",
        "director",
        _guardian,
        lambda c: c["guardian"]["name"] == "王叔叔" and c["entrustment_signed_on"] == "2026-11-20",
        _guardian_without_name,
        "guardian.name",
        "有人监护时必填",
    ),
    Case(
        "school_change",
        "director",
        lambda p: _check(p, "change", "dropped_out"),
        lambda c: c["school_status"] == "dropped_out",
        fill({"#f-changed_on": TOMORROW}),
        "changed_on",
        "日期不能晚于今天",
    ),
    Case(
        "open_intervention",
        "director",
        fill({"#f-kind": "dropout_prevention", "#f-description": "劝返复学"}),
        lambda c: (
            c["open_interventions"] == 1 and c["interventions"][0]["kind"] == "dropout_prevention"
        ),
        fill({"#f-description": "劝返复学"}),
        "kind",
        "必填",
    ),
    Case(
        "progress_intervention",
        "supervisor",
        fill({"#f-note": "已联系学校"}),
        lambda c: len(c["interventions"][0]["progress"]) == 1,
        fill({"#f-note": "已联系学校", "#f-progressed_on": "2026-01-01"}),
        "progressed_on",
        "日期早于帮扶发起日期",
        _open_intervention,
    ),
    Case(
        "close_intervention",
        "supervisor",
        fill({"#f-outcome": "已复学"}),
        lambda c: c["open_interventions"] == 0,
        fill({"#f-outcome": "已复学", "#f-closed_on": "2026-01-01"}),
        "closed_on",
        "日期早于帮扶发起日期",
        _open_intervention,
    ),
    Case(
        "assign",
        "supervisor",
        fill({"#f-assignee": "director"}),
        lambda c: c["assigned_to"] == "director",
        fill({"#f-assignee": ""}),
        "assignee",
        "必填",
    ),
    Case(
        "transfer",
        "supervisor",
        fill({"#f-jurisdiction": NEIGHBOUR_VILLAGE, "#f-reason": "随祖母搬迁"}),
        lambda c: c["jurisdiction"] == NEIGHBOUR_VILLAGE,
        fill({"#f-jurisdiction": "3601", "#f-reason": "随祖母搬迁"}),
        "jurisdiction",
        "应为 12 位村级区划代码",
    ),
    Case(
        "close_case",
        "civil",
        lambda p: _check(p, "reason", "parents_returned"),
        lambda c: c["status"] == "closed",
        _close_tomorrow,
        "closed_on",
        "日期不能晚于今天",
    ),
    Case(
        "reopen",
        "civil",
        fill({"#f-reason": "父母再次外出"}),
        lambda c: c["status"] == "active",
        fill({"#f-reason": ""}),
        "reason",
        "必填",
        _close,
    ),
    Case(
        "correct",
        "director",
        fill({"#f-field": "child.name", "#f-value": "王晓明", "#f-reason": "笔误"}),
        lambda c: c["child"]["name"] == "王晓明",
        fill({"#f-field": "child.id_number", "#f-value": "123", "#f-reason": "笔误"}),
        "value",
        "身份证号无效（18 位，校验位须正确）",
    ),
]


@pytest.mark.parametrize("case", FORMS, ids=[c.form for c in FORMS])
def test_each_form_refuses_beside_the_field_then_writes(
    page: Page, server: Server, case: Case
) -> None:
    api = Api(server.url, "director")
    case_id = api.new_case(name=f"表单{case.form}")
    case.prepare(Api(server.url, "civil"), case_id)
    events = api.events(case_id)
    log_in(page, server, case.user)

    open_form(page, server, case_id, case.form)
    case.bad(page)
    page.click(f"#form-{case.form} button[type=submit]")
    expect(field_error(page, case.bad_field)).to_have_text(case.bad_reason)
    axe_clean(page)
    fits_the_screen(page)
    shot(page, f"forms-5-{case.form}-refused")
    assert api.events(case_id) == events  # nothing written

    open_form(page, server, case_id, case.form)
    case.good(page)
    page.click(f"#form-{case.form} button[type=submit]")
    expect(page.locator("#flash")).to_be_visible()
    after = Api(server.url, "civil").case(case_id)
    assert case.landed(after), after
    written = Api(server.url, "civil").events(case_id)[len(events) :]
    # one event, and the task a rule opens with it (a school change to dropped out)
    assert len(written) == 1 or written[1:] == ["intervention_opened"], written


def test_the_case_page_offers_only_the_forms_the_role_may_use_on_a_desktop(
    browser: Browser, server: Server
) -> None:
    case_id = Api(server.url, "director").new_case(name="按钮")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors, violations = watch(page)
    log_in(page, server, "director")
    page.goto(f"{server.url}/dashboard#/cases/{case_id}")
    buttons = page.locator("#case-actions button")
    # visit, guardian, school, attend a care site, open intervention, correct (leaving a
    # site only once the child attends one)
    expect(buttons).to_have_count(6)
    names = {buttons.nth(i).get_attribute("data-form") for i in range(6)}
    assert names == {
        "visit",
        "change_guardian",
        "school_change",
        "attend_site",
        "open_intervention",
        "correct",
    }
    page.click("#case-actions button[data-form=change_guardian]")
    axe_clean(page)
    shot(page, "forms-6-guardian-desktop")
    context.close()
    assert errors == [] and violations == []


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "与已有记录冲突: 个案已结案，不能再记录"),
        (
            "en",
            "Conflicts with an existing record: The case is closed: nothing more can be recorded",
        ),
    ],
)
def test_a_refusal_says_its_rule_in_the_users_language(
    page: Page, server: Server, lang: str, said: str
) -> None:
    api = Api(server.url, "director")
    case_id = api.new_case(name="结案后走访")
    log_in(page, server, "director", lang=lang)
    open_form(page, server, case_id, "visit")
    # the case is closed by civil affairs while the form is open
    _close(Api(server.url, "civil"), case_id)
    page.click("#form-visit button[type=submit]")  # 412: the form reloads the case
    expect(page.locator("#form-visit")).to_have_attribute("data-reloaded", "true")
    page.click("#form-visit button[type=submit]")  # 409: closed
    expect(page.locator("#form-visit .form-status")).to_have_text(said)
    assert api.events(case_id) == ["identified", "review_requested", "closed"]


# ---- erasure (issue 10) ----------------------------------------------------------------------


def test_an_erasure_is_asked_by_one_officer_and_approved_by_another_on_a_phone(
    browser: Browser, server: Server
) -> None:
    civil = Api(server.url, "civil")
    case_id = civil.new_case(name="待删除", id_number=None)
    _close(civil, case_id)
    context, page, errors, violations = phone(browser)
    log_in(page, server, "civil")
    open_form(page, server, case_id, "request_erasure")
    expect(page.locator("#erasure-warning")).to_contain_text("永久无法读取")
    axe_clean(page)
    _check(page, "basis", "registered_in_error")
    page.fill('[data-field="reason"] textarea', "重复登记，依申请删除")
    page.click("#form-request_erasure button[type=submit]")
    expect(page.locator("#case-erasure")).to_contain_text("删除申请待批准")
    # who asked cannot approve: the page offers her only to decline (withdraw)
    expect(page.locator("#case-actions button[data-form=decline_erasure]")).to_have_count(1)
    expect(page.locator("#case-actions button[data-form=approve_erasure]")).to_have_count(0)
    context.close()
    assert errors == [] and violations == []

    context, page, errors, violations = phone(browser, "en")
    log_in(page, server, "civil-city", lang="en")
    open_form(page, server, case_id, "approve_erasure")
    # by keyboard alone: Tab to the approval, Enter
    tab_to(page, "document.activeElement?.matches('#form-approve_erasure button[type=submit]')")
    page.keyboard.press("Enter")
    expect(page.locator("#case-erasure")).to_contain_text("Personal data erased on")
    expect(page.locator("#case-title")).not_to_contain_text("待删除")
    expect(page.locator("#case-actions")).to_have_count(0)  # nothing more is done on it
    fits_the_screen(page)
    axe_clean(page)
    shot(page, "forms-erased-case")
    context.close()
    assert errors == [] and violations == []
    assert civil.case(case_id)["child"]["name"] is None
    assert civil.events(case_id)[-2:] == ["erasure_requested", "erased"]


# ---- the survey import (issue 11) -----------------------------------------------------------


def test_a_survey_sheet_is_tried_then_imported_from_a_phone(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    good = survey_row(姓名="导入甲", **{"村（社区）代码": DEMO_VILLAGE})
    bad = survey_row(
        姓名="导入乙",
        身份证号=wrong_check_digit(id_number(731)),
        **{"村（社区）代码": DEMO_VILLAGE},
    )
    sheet = tmp_path / "张公镇摸底排查表.csv"
    sheet.write_bytes(csv_bytes([good, bad]))
    context, page, errors, violations = phone(browser)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, server, "supervisor")

    page.click("#menu a[data-nav=register_title]")
    with page.expect_download() as template:
        page.click("#download-template")
    assert template.value.suggested_filename == "survey-template.xlsx"
    assert Path(template.value.path()).read_bytes()[:2] == b"PK"  # an .xlsx (a zip)
    page.set_input_files("#import-file", str(sheet))
    page.click("#import-dry-run")
    expect(page.locator("#import-summary")).to_contain_text("试导入（未写入）")
    expect(page.locator("#import-report tr[data-outcome=would_create]")).to_have_count(1)
    refused = page.locator("#import-report tr[data-outcome=refused]")
    expect(refused).to_contain_text("身份证号")
    fits_the_screen(page)
    axe_clean(page)
    shot(page, "register-dry-run")
    assert (
        Api(server.url, "supervisor").call("GET", f"/api/v1/cases?q={quote('导入甲')}")["items"]
        == []
    )

    page.click("#import-run")
    expect(page.locator("#import-summary")).to_contain_text("导入完成")
    expect(page.locator("#import-report tr[data-outcome=refused]")).to_have_count(1)
    context.close()
    assert errors == [] and violations == []
    server.catch_up()
    found = Api(server.url, "supervisor").call("GET", f"/api/v1/cases?q={quote('导入甲')}")["items"]
    assert len(found) == 1


# ---- review before it counts (复核) ----------------------------------------------------------


def test_the_supervisor_returns_a_directors_case_and_confirms_it_once_resubmitted(
    browser: Browser, server: Server
) -> None:
    director_api = Api(server.url, "director")
    case_id = director_api.new_case(name="待复核")
    context, page, errors, violations = phone(browser)
    log_in(page, server, "supervisor")
    page.goto(f"{server.url}/dashboard#/cases/{case_id}")
    expect(page.locator("#case-review-facts")).to_contain_text("待复核")
    # the supervisor sees Confirm and Return (and the director's Resubmit is not offered)
    expect(page.locator("#case-actions button[data-form=confirm_review]")).to_be_visible()
    expect(page.locator("#case-actions button[data-form=resubmit]")).to_have_count(0)
    open_form(page, server, case_id, "return_review")
    page.click("#form-return_review button[type=submit]")  # no comment: refused
    expect(field_error(page, "comment")).to_be_visible()
    assert director_api.events(case_id) == ["identified", "review_requested"]
    page.fill("#f-comment", "出生日期与户口簿不一致")
    page.click("#form-return_review button[type=submit]")
    expect(page.locator("#flash")).to_be_visible()
    assert director_api.case(case_id)["review"]["status"] == "returned"
    axe_clean(page)
    shot(page, "forms-7-review-returned-supervisor")
    context.close()
    assert errors == [] and violations == []

    # the director reads the comment, and resubmits
    context, page, errors, violations = phone(browser)
    log_in(page, server, "director")
    server.catch_up()
    page.goto(f"{server.url}/dashboard#/worklists/returned-for-correction")
    expect(page.locator(f'#worklist tr[data-case-id="{case_id}"]')).to_have_count(1)
    page.goto(f"{server.url}/dashboard#/cases/{case_id}")
    expect(page.locator("#case-review-facts")).to_contain_text("出生日期与户口簿不一致")
    expect(page.locator("#case-actions button[data-form=confirm_review]")).to_have_count(0)
    open_form(page, server, case_id, "resubmit")
    page.click("#form-resubmit button[type=submit]")
    expect(page.locator("#flash")).to_be_visible()
    review = director_api.case(case_id)["review"]
    assert (review["status"], review["submission"]) == ("pending", 2)
    axe_clean(page)
    fits_the_screen(page)
    shot(page, "forms-8-review-resubmitted-director")
    context.close()
    assert errors == [] and violations == []

    # the supervisor confirms from her worklist
    context, page, errors, violations = phone(browser)
    log_in(page, server, "supervisor")
    server.catch_up()
    page.goto(f"{server.url}/dashboard#/worklists/awaiting-review")
    expect(page.locator(f'#worklist tr[data-case-id="{case_id}"]')).to_have_count(1)
    open_form(page, server, case_id, "confirm_review")
    page.click("#form-confirm_review button[type=submit]")
    expect(page.locator("#flash")).to_be_visible()
    assert director_api.case(case_id)["review"]["status"] == "confirmed"
    context.close()
    assert errors == [] and violations == []


# ---- likely duplicates (issue 11) ------------------------------------------------------------


def test_the_supervisor_dismisses_a_likely_duplicate_from_her_worklist_on_a_phone(
    browser: Browser, server: Server
) -> None:
    civil = Api(server.url, "civil")
    first = civil.new_case(name="重名儿童", birth_date="2014-06-01")
    server.catch_up()  # the look-alike check reads the read models
    second = civil.new_case(name="重名儿童", birth_date="2014-06-01")
    server.catch_up()
    assert civil.case(second)["likely_duplicates"] == [first]
    context, page, errors, violations = phone(browser)
    log_in(page, server, "supervisor")

    page.goto(f"{server.url}/dashboard#/worklists/likely-duplicates")
    row = page.locator(f'#worklist a[href*="{second}"]').first
    expect(row).to_be_visible()
    open_form(page, server, second, "dismiss_duplicate")
    expect(page.locator("#form-dismiss_duplicate")).to_contain_text(first[:8])
    axe_clean(page)
    page.click("#form-dismiss_duplicate button[type=submit]")
    expect(page.locator(".flash")).to_be_visible()
    context.close()
    assert errors == [] and violations == []
    assert civil.events(second)[-1] == "duplicate_dismissed"
    assert civil.case(second)["likely_duplicates"] == []
