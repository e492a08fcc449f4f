# ruff: noqa: F811 (the fixture imported from test_dashboard is named as a parameter)
"""The web app offline, in a real headless Chromium on a phone's screen: writes made
without a network wait on the device (sealed), survive a reload and are sent once each, in
order, when the connection returns; a 412 shows what changed and lets the user resend or
drop; worklists and cases read before stay readable; nothing personal is stored in clear on
the device, and logging out wipes it. Writes go through the page's own `api.send` (the
forms are another module's; they call the same function)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, ViewportSize, expect

from tests.browser.conftest import shot, watch
from tests.browser.test_dashboard import base_url  # noqa: F401
from tests.support import TODAY, VISIT

AXE = Path(__file__).resolve().parents[2] / "services/cases/web/node_modules/axe-core/axe.min.js"
PHONE: ViewportSize = {"width": 390, "height": 844}
DIRECTOR = ("director", "demo-director-2026")


@pytest.fixture
def phone(browser: Browser) -> Iterator[tuple[BrowserContext, Page]]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    errors, violations = watch(page)
    yield context, page
    context.close()
    assert errors == [], f"the page raised: {errors}"
    assert violations == [], f"the page broke its Content-Security-Policy: {violations}"


def serious_violations(page: Page, *more: str) -> list[str]:
    """What axe-core finds serious or critical in the queue's status and panel, and in the
    elements `more` names (the rest of the page is the pages' own tests')."""
    page.evaluate(AXE.read_text() + ";true")  # evaluated by the debugger, outside the CSP
    include = json.dumps([["#queue-status"], ["#queue-panel"], *[[m] for m in more]])
    found = page.evaluate(
        f"axe.run({{include: {include}}})"
        ".then((r) => r.violations.map((v) =>"
        " [v.impact, v.id + ' ' + v.nodes.map((n) => n.target.join(' ')).join(', ')]))"
    )
    return [rule for impact, rule in found if impact in ("serious", "critical")]


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/dashboard/")
    page.fill("input[name=username]", DIRECTOR[0])
    page.fill("input[name=password]", DIRECTOR[1])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#worklist tbody tr").first).to_be_visible()
    # the service worker controls the page (it holds the shell) before the network goes
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)


def call(url: str, token: str, method: str, path: str, body: Any = None) -> Any:
    """The API from outside the browser (another device), unaffected by its offline mode."""
    request = urllib.request.Request(
        f"{url}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def token(page: Page) -> str:
    value: str = page.evaluate("sessionStorage.getItem('careledger.token')")
    return value


def visits(url: str, page: Page, case_id: str) -> list[str]:
    history = call(url, token(page), "GET", f"/api/v1/cases/{case_id}/history")
    return [e["data"]["visit"].get("notes", "") for e in history["events"] if "visit" in e["data"]]


def open_case(page: Page, url: str, index: int) -> tuple[str, str]:
    """Opens the director's `index`th case (read online, so kept on the device): its id
    and the ETag the page read it at."""
    cases = call(url, token(page), "GET", "/api/v1/cases?per_page=20")["items"]
    case_id = cases[index % len(cases)]["id"]  # the village holds few cases
    page.goto(f"{url}/dashboard/#/cases/{case_id}")
    expect(page.locator("#timeline li").first).to_be_visible()
    etag: str = page.evaluate(
        "(id) => careledger.api.read(`/api/v1/cases/${id}?purpose=dashboard`).then((a) => a.etag)",
        case_id,
    )
    return case_id, etag


def send_visit(page: Page, case_id: str, etag: str, notes: str) -> Any:
    body = VISIT | {"visited_on": TODAY.isoformat(), "notes": notes}
    return page.evaluate(
        "([id, body, etag]) => careledger.api.send('POST', `/api/v1/cases/${id}/visits`, body,"
        " {ifMatch: etag})",
        [case_id, body, etag],
    )


def test_three_visits_made_offline_survive_a_reload_and_are_sent_once_each_in_order(
    phone: tuple[BrowserContext, Page], base_url: str
) -> None:
    context, page = phone
    log_in(page, base_url)
    case_id, etag = open_case(page, base_url, 0)
    before = visits(base_url, page, case_id)
    # when: offline, three visits on the version the page shows
    context.set_offline(True)
    expect(page.locator("#offline-mark")).to_be_visible()
    for n in (1, 2, 3):
        assert send_visit(page, case_id, etag, f"offline visit {n}")["queued"] is True
    expect(page.locator("#queue-toggle")).to_have_text("3 条待发送")
    shot(page, "offline-1-three-waiting")
    # and the page is reloaded without a network
    page.reload()
    expect(page.locator("#queue-toggle")).to_have_text("3 条待发送")
    expect(page.locator("#timeline li").first).to_be_visible()  # the case, from the device
    assert visits(base_url, page, case_id) == before  # nothing left the phone
    # when the connection returns
    context.set_offline(False)
    # then
    expect(page.locator("#queue-toggle")).to_have_count(0)
    after = visits(base_url, page, case_id)
    assert after == [*before, "offline visit 1", "offline visit 2", "offline visit 3"]
    # and a second flush sends nothing again
    page.evaluate("careledger.flush()")
    assert visits(base_url, page, case_id) == after


def test_a_write_lost_in_flight_is_replayed_not_written_twice(
    phone: tuple[BrowserContext, Page], base_url: str
) -> None:
    context, page = phone
    log_in(page, base_url)
    case_id, etag = open_case(page, base_url, 1)
    before = visits(base_url, page, case_id)
    # given: a visit the server wrote whose answer never reached the phone
    key = "lost-answer-1"
    body = VISIT | {"visited_on": TODAY.isoformat(), "notes": "answer lost"}
    request = urllib.request.Request(
        f"{base_url}/api/v1/cases/{case_id}/visits",
        method="POST",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token(page)}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "If-Match": etag,
        },
    )
    urllib.request.urlopen(request, timeout=10).close()
    # when the phone, offline, queues it with its key, then sends it
    context.set_offline(True)
    queued = page.evaluate(
        "([id, body, etag, key]) => careledger.api.send('POST', `/api/v1/cases/${id}/visits`,"
        " body, {ifMatch: etag, idempotencyKey: key})",
        [case_id, body, etag, key],
    )
    assert queued["queued"] is True
    context.set_offline(False)
    expect(page.locator("#queue-toggle")).to_have_count(0)
    # then: the server replayed it
    assert visits(base_url, page, case_id) == [*before, "answer lost"]


def test_a_conflict_shows_what_changed_and_can_be_resent_or_dropped(
    phone: tuple[BrowserContext, Page], base_url: str
) -> None:
    context, page = phone
    log_in(page, base_url)
    case_id, etag = open_case(page, base_url, 2)
    before = visits(base_url, page, case_id)
    # given: a visit queued offline, and meanwhile another device writes on the case
    context.set_offline(True)
    send_visit(page, case_id, etag, "mine, resent")
    call(
        base_url,
        token(page),
        "POST",
        f"/api/v1/cases/{case_id}/visits",
        VISIT | {"visited_on": TODAY.isoformat(), "notes": "from another phone"},
    )
    # when the connection returns
    context.set_offline(False)
    # then the conflict shows, with the change since her version
    conflict = page.locator("#queue-items .queue-item.conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator(".queue-changes li")).to_have_count(1)
    expect(conflict.locator(".queue-changes li")).to_contain_text("走访")
    expect(page.locator("#queue-toggle")).to_contain_text("1 条需处理")
    shot(page, "offline-2-conflict")
    assert serious_violations(page) == []
    # when she resends on the new version
    conflict.locator(".queue-resend").click()
    expect(page.locator("#queue-toggle")).to_have_count(0)
    assert visits(base_url, page, case_id) == [*before, "from another phone", "mine, resent"]

    # given a second conflict
    context.set_offline(True)
    send_visit(page, case_id, etag, "mine, dropped")
    context.set_offline(False)
    expect(page.locator("#queue-items .queue-item.conflict")).to_be_visible()
    # when she drops it
    page.locator("#queue-items .queue-item.conflict .queue-drop").click()
    # then it is gone and nothing was written
    expect(page.locator("#queue-toggle")).to_have_count(0)
    assert visits(base_url, page, case_id) == [*before, "from another phone", "mine, resent"]


def test_worklists_and_cases_read_before_stay_readable_offline_in_english(
    phone: tuple[BrowserContext, Page], base_url: str
) -> None:
    context, page = phone
    log_in(page, base_url)
    page.click("#lang")
    first_row = page.locator("#worklist tbody tr").first.inner_text()
    case_id, _ = open_case(page, base_url, 3)
    title = page.locator("#case-title").inner_text()
    # when offline, the worklist and the case are opened again after a reload
    context.set_offline(True)
    page.goto(f"{base_url}/dashboard/#/cases/{case_id}")
    page.reload()
    # then
    expect(page.locator("#case-title")).to_have_text(title)
    expect(page.locator("#offline-mark")).to_have_text("Offline")
    page.evaluate("location.hash = '#/'")  # home again, where the worklist was read
    expect(page.locator("#worklist tbody tr").first).to_have_text(first_row)
    shot(page, "offline-3-worklist-offline")
    context.set_offline(False)


def test_her_village_reads_offline_before_she_opens_it_and_a_visit_form_sent_offline_lands_once(
    phone: tuple[BrowserContext, Page], base_url: str
) -> None:
    context, page = phone
    log_in(page, base_url)
    # given: after login her village's cases are kept ahead on the phone
    kept = page.evaluate("careledger.prefetch()")
    cases = call(base_url, token(page), "GET", "/api/v1/cases?status=active&per_page=100")
    assert kept == cases["total"] > 0
    never_opened = cases["items"][-1]
    before = visits(base_url, page, never_opened["id"])
    # when: offline, she opens a case she never opened and records a visit through the form
    context.set_offline(True)
    page.goto(f"{base_url}/dashboard/#/cases/{never_opened['id']}")
    expect(page.locator("#case-title")).to_contain_text(never_opened["child"]["name"])
    expect(page.locator("#offline-mark")).to_be_visible()
    page.goto(f"{base_url}/dashboard/#/cases/{never_opened['id']}/visit")
    # the care sites of her scope were kept ahead too: the visit may be held at one
    expect(page.locator("#f-site_id option").nth(1)).to_be_attached()
    site_id = page.locator("#f-site_id option").nth(1).get_attribute("value")
    page.select_option("#f-site_id", index=1)
    page.fill("#f-notes", "离线表单走访")
    page.click("#form-visit button[type=submit]")
    expect(page.locator("#flash")).to_have_text("已存在本机，联网后自动发送")
    expect(page.locator("#queue-toggle")).to_have_text("1 条待发送")
    shot(page, "offline-5-form-kept")
    # the phone's header, with the offline mark and the queue in it, stays legible
    assert serious_violations(page, "header") == []
    # then: back online it lands once
    context.set_offline(False)
    page.evaluate("careledger.flush()")
    expect(page.locator("#queue-toggle")).to_have_count(0)
    assert visits(base_url, page, never_opened["id"]) == [*before, "离线表单走访"]
    history = call(base_url, token(page), "GET", f"/api/v1/cases/{never_opened['id']}/history")
    assert [e["data"]["visit"].get("site_id") for e in history["events"] if "visit" in e["data"]][
        -1
    ] == site_id


def test_an_official_of_a_whole_county_gets_no_cases_kept_ahead(
    phone: tuple[BrowserContext, Page], base_url: str
) -> None:
    _, page = phone
    page.goto(f"{base_url}/dashboard/")
    page.fill("input[name=username]", "civil")
    page.fill("input[name=password]", "demo-civil-2026")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#queue-status")).to_be_attached()
    assert page.evaluate("careledger.prefetch()") == 0


DUMP_STORAGE = """async () => {
  const text = (value) => {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes = value instanceof ArrayBuffer ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      return new TextDecoder("utf-8").decode(bytes) + new TextDecoder("utf-16le").decode(bytes)
        + new TextDecoder("latin1").decode(bytes);
    }
    if (value && typeof value === "object") {
      return Object.entries(value).map(([k, v]) => k + ":" + text(v)).join(",");
    }
    return String(value);
  };
  const records = [];
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, ko) => {
      const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = ko;
    });
    for (const name of db.objectStoreNames) {
      const tx = db.transaction(name);
      const store = tx.objectStore(name);
      const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()].map(
        (r) => new Promise((ok) => { r.onsuccess = () => ok(r.result); })));
      keys.forEach((key, i) => records.push({db: info.name, store: name,
        text: text(key) + "=" + text(values[i])}));
    }
    db.close();
  }
  const cached = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) cached.push(request.url);
  }
  return {records, cached, session: JSON.stringify(sessionStorage),
          local: JSON.stringify(localStorage)};
}"""


def test_nothing_personal_is_kept_in_clear_on_the_phone_and_logout_wipes_it(
    phone: tuple[BrowserContext, Page], base_url: str
) -> None:
    context, page = phone
    log_in(page, base_url)
    case_id, etag = open_case(page, base_url, 4)
    name = call(base_url, token(page), "GET", f"/api/v1/cases/{case_id}")["child"]["name"]
    context.set_offline(True)
    send_visit(page, case_id, etag, f"{name} 想念父母")
    expect(page.locator("#queue-toggle")).to_have_text("1 条待发送")
    expect(page.locator("#queue-toggle")).to_contain_text("1")
    # when the device's storage is read raw
    storage = page.evaluate(DUMP_STORAGE)
    mine = [r for r in storage["records"] if r["db"] == "careledger-offline:director"]
    # then: the store holds the queued write and the copies of what was read…
    assert len([r for r in mine if r["store"] == "queue"]) == 1
    assert len([r for r in mine if r["store"] == "cache"]) >= 3
    # …and the child's name is in none of it, nor in the page's other storage
    assert [r["store"] for r in storage["records"] if name in r["text"]] == []
    assert name not in storage["session"] and name not in storage["local"]
    assert all("/api/" not in url for url in storage["cached"]), storage["cached"]
    assert any(url.endswith("/dashboard/") for url in storage["cached"])  # the app shell
    # and the dump can see a name stored in clear (the check can fail)
    page.evaluate("""() => new Promise((ok) => { const r = indexedDB.open('probe');
      r.onupgradeneeded = () => r.result.createObjectStore('s');
      r.onsuccess = () => { const tx = r.result.transaction('s', 'readwrite');
        tx.objectStore('s').put({name: new TextEncoder().encode(document.title)}, 1);
        tx.oncomplete = () => { r.result.close(); ok(); }; }; })""")
    title = page.title()
    probe = page.evaluate(DUMP_STORAGE)["records"]
    assert [r["db"] for r in probe if title in r["text"]] == ["probe"]

    # when she logs out with a write still waiting, and agrees to drop it
    asked: list[str] = []

    def agree(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", agree)
    page.click("#logout")
    expect(page.locator("#login-form")).to_be_visible()
    # then the store is gone, and the key with the session
    assert asked and "1" in asked[0]
    names = page.evaluate("indexedDB.databases().then((all) => all.map((d) => d.name))")
    assert "careledger-offline:director" not in names
    assert page.evaluate("sessionStorage.getItem('careledger.device')") is None
    context.set_offline(False)


def test_logging_out_with_waiting_writes_can_be_called_off(
    phone: tuple[BrowserContext, Page], base_url: str
) -> None:
    context, page = phone
    log_in(page, base_url)
    case_id, etag = open_case(page, base_url, 5)
    context.set_offline(True)
    send_visit(page, case_id, etag, "kept")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#logout")
    # then she stays, the write still waiting
    expect(page.locator("#queue-toggle")).to_have_text("1 条待发送")
    expect(page.locator("#logout")).to_be_visible()
    context.set_offline(False)
    expect(page.locator("#queue-toggle")).to_have_count(0)
    assert visits(base_url, page, case_id)[-1] == "kept"
