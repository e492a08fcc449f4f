// The CareLedger dashboard: log in, see the figures of your scope, drill down by clicking,
// open a worklist and a case's timeline (and its state at any point of it).
// Plain browser JavaScript, no build step; the JSON API is the only source.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const state = {
    lang: localStorage.getItem("careledger.lang") || "zh-CN",
    token: sessionStorage.getItem("careledger.token"),
    refresh: sessionStorage.getItem("careledger.refresh"),
    user: JSON.parse(sessionStorage.getItem("careledger.user") || "null"),
    scope: null, trail: [], worklist: "overdue-visits", charts: {},
  };
  const WORKLISTS = ["overdue-visits", "no-guardian", "mandatory-reports", "overdue-interventions"];

  function t(key, vars) {
    const words = window.I18N[state.lang] || {};
    let text = words[key] !== undefined ? words[key] : key;
    for (const [k, v] of Object.entries(vars || {})) text = text.replace(`{${k}}`, v);
    return text;
  }

  // An event of a case's history, as the timeline names it (its type when unknown).
  function eventLabel(type) {
    const labels = window.EVENT_LABELS[type];
    return labels ? labels[state.lang] || type : type;
  }

  function translatePage() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  }

  // Access tokens live minutes: on a 401, trade the refresh token for a new one (one
  // exchange shared by the requests that failed together), then try once more.
  async function exchange(refreshToken) {
    const response = await fetch("/api/v1/auth/refresh", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    return response.status === 200 ? response.json() : null;
  }

  let renewing = null;
  function renew() {
    if (!renewing) {
      renewing = exchange(state.refresh)
        .then((session) => { if (session && state.token) remember(session); return Boolean(session); })
        .catch(() => false).finally(() => { renewing = null; });
    }
    return renewing;
  }

  async function authorized(path, init) {
    const send = () => fetch(path, { ...init, headers: { Authorization: `Bearer ${state.token}` } });
    const response = await send();
    if (response.status === 401 && state.refresh && await renew()) return send();
    return response;
  }

  function remember(session) {
    state.token = session.token; state.refresh = session.refresh_token; state.user = session.user;
    sessionStorage.setItem("careledger.token", session.token);
    sessionStorage.setItem("careledger.refresh", session.refresh_token);
    sessionStorage.setItem("careledger.user", JSON.stringify(session.user));
  }

  async function api(path) {
    const response = await authorized(path, {});
    if (response.status === 401) { logout(); throw new Error("401"); }
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.detail || response.statusText);
    }
    return response.json();
  }

  function show(view) {
    for (const id of ["login-view", "dashboard-view", "case-view"]) $(id).hidden = id !== view;
    $("logout").hidden = view === "login-view";
    $("who").textContent = state.user ? `${state.user.username} · ${state.user.scope}` : "";
    $("error").textContent = "";
  }

  function fail(error) { $("error").textContent = `${t("load_failed")}: ${error.message}`; }

  // ---- login ---------------------------------------------------------------------------
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const response = await fetch("/api/v1/auth/token", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
    });
    if (response.status !== 201) {
      // 429: this username or address is locked out for a while; 503: logins are busy.
      const wait = { s: response.headers.get("Retry-After") || "60" };
      const key = { 429: "login_throttled", 503: "login_busy" }[response.status];
      $("login-error").textContent = t(key || "login_failed", wait);
      return;
    }
    const body = await response.json();
    remember(body);
    openScope(body.user.scope, true);
  });

  function logout() {
    if (state.token) endSession(state.token, state.refresh).catch(() => {});
    state.token = null; state.refresh = null; state.user = null; sessionStorage.clear();
    show("login-view");
  }
  // Ends the whole session, its refresh token too (renewed first if the access token lapsed).
  async function endSession(token, refreshToken) {
    const end = (bearer) => fetch("/api/v1/auth/token", { method: "DELETE", headers: { Authorization: `Bearer ${bearer}` } });
    if ((await end(token)).status !== 401 || !refreshToken) return;
    const session = await exchange(refreshToken);
    if (session) await end(session.token);
  }
  $("logout").addEventListener("click", logout);
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "zh-CN" ? "en" : "zh-CN";
    localStorage.setItem("careledger.lang", state.lang);
    translatePage();
    if (!$("dashboard-view").hidden) openScope(state.scope, false);
  });

  // ---- the dashboard of one scope --------------------------------------------------------
  async function openScope(scope, reset) {
    if (reset) state.trail = [];
    if (!state.trail.includes(scope)) state.trail.push(scope);
    state.trail = state.trail.slice(0, state.trail.indexOf(scope) + 1);
    state.scope = scope;
    show("dashboard-view");
    renderCrumbs();
    const q = `scope=${encodeURIComponent(scope)}`;
    try {
      const [summary, breakdown, trend] = await Promise.all([
        api(`/api/v1/dashboard/summary?${q}`), api(`/api/v1/dashboard/breakdown?${q}`),
        api(`/api/v1/dashboard/trend?${q}&months=12`)]);
      renderFigures(summary);
      renderCharts(summary, trend);
      renderBreakdown(breakdown);
      renderWorklistTabs();
      await openWorklist(state.worklist);
    } catch (error) { fail(error); }
  }

  function renderCrumbs() {
    const crumbs = $("crumbs"); crumbs.replaceChildren();
    state.trail.forEach((code, i) => {
      if (i) crumbs.append(" › ");
      const a = document.createElement("a"); a.textContent = code; a.dataset.scope = code;
      a.addEventListener("click", () => openScope(code, false));
      crumbs.append(a);
    });
  }

  function figureValue(value) { return typeof value === "number" ? value.toLocaleString() : null; }
  const SHARES = new Set(["visit_coverage_30_days", "visit_coverage_90_days", "entrustment_signed_share", "overdue_visit_share"]);
  function cellValue(key, value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number" && SHARES.has(key)) return `${(value * 100).toFixed(1)}%`;
    return figureValue(value) ?? t(String(value));
  }

  // The headline figures of a summary: [label key, path into the answer].
  const FIGURES = [
    ["active", "cases.active"], ["no_guardian", "no_guardian"],
    ["grandparents", "guardian_types.grandparent"], ["high_risk", "risk_levels.high"],
    ["overdue_visits", "overdue_visits"], ["visit_coverage_30", "visit_coverage.last_30_days.share", "share"],
    ["visit_coverage_90", "visit_coverage.last_90_days.share", "share"],
    ["entrustment_signed_share", "entrustment.share", "share"], ["dropouts", "school_dropouts"],
    ["open_interventions", "interventions.open"], ["overdue_interventions", "interventions.overdue"],
    ["mandatory_reports", "mandatory_reports.open"], ["identified_this_month", "this_month.identified"],
    ["visited_this_month", "this_month.children_visited"],
    ["intervened_this_month", "this_month.interventions_opened"],
  ];
  const at = (object, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), object);

  function renderFigures(summary) {
    const figures = $("figures"); figures.replaceChildren();
    for (const [key, path, kind] of FIGURES) {
      const value = at(summary, path);
      const shown = kind === "share" && typeof value === "number" ? `${(value * 100).toFixed(1)}%` : figureValue(value);
      if (shown === null) continue;
      const div = document.createElement("div"); div.className = "figure"; div.dataset.key = key;
      div.innerHTML = `<div class="value"></div><div class="label"></div>`;
      div.querySelector(".value").textContent = shown;
      div.querySelector(".label").textContent = t(key);
      figures.append(div);
    }
  }

  function chart(id) {
    if (!window.echarts) return null;
    state.charts[id] = state.charts[id] || window.echarts.init($(id));
    return state.charts[id];
  }

  // Chart tooltips built as elements rather than echarts' default HTML, whose inline
  // style attributes the page's Content-Security-Policy refuses; `confine` drops the
  // arrow, which is inline-styled HTML too. A colour set through `.style` is allowed.
  function tooltipContent(params) {
    const rows = Array.isArray(params) ? params : [params];
    const box = document.createElement("div"); box.className = "tip";
    if (Array.isArray(params) && rows.length) {
      const head = document.createElement("div"); head.className = "tip-head";
      head.textContent = rows[0].axisValueLabel; box.append(head);
    }
    for (const p of rows) {
      const row = document.createElement("div"); row.className = "tip-row";
      const dot = document.createElement("span"); dot.className = "tip-dot";
      if (typeof p.color === "string") dot.style.backgroundColor = p.color;
      const label = Array.isArray(params) ? p.seriesName : p.name;
      const share = typeof p.percent === "number" ? ` (${p.percent}%)` : "";
      row.append(dot, `${label}: ${figureValue(p.value) ?? p.value}${share}`);
      box.append(row);
    }
    return box;
  }
  const tooltip = (trigger) => ({ trigger, confine: true, formatter: tooltipContent });

  function pairs(object) { return Object.entries(object || {}).map(([k, v]) => ({ name: t(k), value: v })); }

  function renderCharts(summary, trend) {
    const guardians = chart("chart-guardians");
    if (guardians) guardians.setOption({ title: { text: t("guardians"), textStyle: { fontSize: 14 } },
      tooltip: tooltip("item"), series: [{ type: "pie", radius: ["35%", "65%"], data: pairs(summary.guardian_types) }] }, true);
    const risk = chart("chart-risk");
    const riskData = pairs(summary.risk_levels);
    if (risk) risk.setOption({ title: { text: t("risk"), textStyle: { fontSize: 14 } }, tooltip: tooltip("item"),
      xAxis: { type: "category", data: riskData.map((d) => d.name) }, yAxis: { type: "value" },
      series: [{ type: "bar", data: riskData.map((d) => d.value) }] }, true);
    const months = trend.months || [];
    const keys = ["identified", "children_visited", "interventions_opened", "active_at_month_end"];
    const line = chart("chart-trend");
    if (line) line.setOption({ title: { text: t("trend"), textStyle: { fontSize: 14 } },
      tooltip: tooltip("axis"), legend: { top: 24, data: keys.map((k) => t(k)) }, grid: { top: 60 },
      xAxis: { type: "category", data: months.map((m) => m.month) }, yAxis: { type: "value" },
      series: keys.map((k) => ({ name: t(k), type: "line", data: months.map((m) => m[k]) })) }, true);
  }

  function table(el, rows, columns, onClick) {
    el.replaceChildren();
    const head = el.createTHead().insertRow();
    columns.forEach((c) => { const th = document.createElement("th"); th.textContent = t(c); head.append(th); });
    const body = el.createTBody();
    rows.forEach((row) => {
      const tr = body.insertRow();
      columns.forEach((c) => { tr.insertCell().textContent = cellValue(c, at(row, c)); });
      if (onClick) { tr.className = "link"; tr.addEventListener("click", () => onClick(row)); }
    });
  }

  function renderBreakdown(breakdown) {
    // Jurisdictions without a single child (a city's urban districts) would only be noise.
    const rows = (breakdown.rows || []).filter((row) => row.active > 0);
    table($("breakdown"), rows, ["name", "code", "active", "no_guardian", "high_risk", "overdue_visits",
      "visit_coverage_30_days", "entrustment_signed_share", "open_interventions"],
    (row) => openScope(String(row.code), false));
    $("breakdown").dataset.scope = breakdown.code;  // which scope the table shows
  }

  function renderWorklistTabs() {
    const tabs = $("worklist-tabs"); tabs.replaceChildren();
    WORKLISTS.forEach((name) => {
      const b = document.createElement("button"); b.type = "button"; b.textContent = t(name);
      b.dataset.worklist = name; b.className = name === state.worklist ? "active" : "";
      b.addEventListener("click", () => { state.worklist = name; renderWorklistTabs(); openWorklist(name); });
      tabs.append(b);
    });
  }

  async function openWorklist(name) {
    try {
      const list = await api(`/api/v1/worklists/${name}?scope=${encodeURIComponent(state.scope)}&per_page=50`);
      const columns = ["case.child.name", "case.jurisdiction", "case.risk_level", "case.guardian_type",
        "case.next_visit_due", "intervention.kind", "intervention.department", "days_overdue"];
      table($("worklist"), list.items || [], columns, (row) => openCase(row.case.id));
    } catch (error) { fail(error); }
  }

  // ---- one case: its timeline, and its state at any point of it -------------------------
  async function openCase(caseId) {
    show("case-view");
    try {
      const [current, history] = await Promise.all([api(`/api/v1/cases/${caseId}?purpose=dashboard`),
        api(`/api/v1/cases/${caseId}/history?purpose=dashboard`)]);
      $("case-title").textContent = `${t("case")} ${current.child ? current.child.name : ""} · ${current.jurisdiction}`;
      const list = $("timeline"); list.replaceChildren();
      history.events.forEach((event) => {
        const li = document.createElement("li"); li.dataset.version = event.version;
        li.textContent = `v${event.version} · ${eventLabel(event.type)} · ${event.occurred_at.slice(0, 16).replace("T", " ")} · ${event.actor.username || ""}`;
        li.addEventListener("click", () => showVersion(caseId, event));
        list.append(li);
      });
      renderState(current, t("state_now"));
    } catch (error) { fail(error); }
  }

  async function showVersion(caseId, event) {
    document.querySelectorAll("#timeline li").forEach((li) => li.classList.toggle("current", li.dataset.version === String(event.version)));
    try {
      const then = await api(`/api/v1/cases/${caseId}?version=${event.version}&purpose=dashboard`);
      renderState(then, t("state_at", { v: event.version, t: event.occurred_at.slice(0, 10) }));
    } catch (error) { fail(error); }
  }

  function renderState(c, heading) {
    $("case-when").textContent = heading;
    const dl = $("case-state"); dl.replaceChildren();
    const fields = { version: c.version, status: `status_${c.status}`, jurisdiction: c.jurisdiction,
      guardian_type: c.guardian_type, risk_level: c.risk_level || "unassessed",
      last_visit_on: c.last_visit_on, next_visit_due: c.next_visit_due,
      school_status: c.school_status, assigned_to: c.assigned_to,
      open_interventions: c.open_interventions };
    for (const [key, value] of Object.entries(fields)) {
      const dt = document.createElement("dt"); dt.textContent = t(key);
      const dd = document.createElement("dd"); dd.textContent = value === null || value === undefined ? "—" : t(String(value));
      dl.append(dt, dd);
    }
  }
  $("back").addEventListener("click", () => openScope(state.scope, false));

  window.addEventListener("resize", () => Object.values(state.charts).forEach((c) => c.resize()));
  translatePage();
  if (state.token && state.user) openScope(state.user.scope, true); else show("login-view");
})();
