// One case (#/cases/:id, ?version=N or ?as_of=YYYY-MM-DD for its state then): the child,
// parents, guardian (tap to call), address, interventions, visits, corrections and the
// timeline in China time (when each fact happened and when it was recorded). Auditors
// state a purpose first (it goes into the access log with every read of the page).
import { api, query, session } from "../api.js";
import { el } from "../dom.js";
import { ageOn, chinaTime, today, word } from "../format.js";
import { fits, FORMS } from "../forms/index.js";
import { term } from "../forms/kit.js";
import { flash } from "../forms/visit_page.js";
import { eventLabel, t } from "../i18n/index.js";
import { lineage, loadPlaces, placeName, placePath } from "../places.js";
import { href, navigate } from "../router.js";
import { renderTable, tableWrap } from "../table.js";
import { breadcrumbs, trail } from "./crumbs.js";

// What the access log records for a read from this page (auditors give their own).
const PURPOSE = "case_page";

export function purposeOf(q) {
  if (session.user?.role === "auditor") return q.purpose || null;
  return PURPOSE;
}

function purposeForm(caseId, q) {
  const input = el("input", { name: "purpose", id: "purpose", required: true, maxLength: 100, autocomplete: "off" });
  const form = el("form", { id: "purpose-form", className: "panel" },
    el("h2", {}, t("purpose_title")), el("p", {}, t("purpose_hint")),
    el("label", {}, el("span", {}, t("purpose_title")), input),
    el("button", { type: "submit" }, t("purpose_go")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const purpose = input.value.trim();
    if (purpose) navigate(href("/cases/:id", { id: caseId }, { ...q, purpose }));
  });
  return form;
}

// A <dl> of [label key, value or node] pairs, leaving out empty values.
function facts(pairs, props = {}) {
  return el("dl", { className: "facts", ...props }, pairs.flatMap(([key, value]) => {
    if (value === undefined || value === null || value === "") return [];
    return [el("dt", {}, t(key)), el("dd", {}, value instanceof Node ? value : String(value))];
  }));
}

const tel = (phone) => (phone ? el("a", { href: `tel:${phone.replace(/[^\d+]/g, "")}`, className: "tel" }, phone) : null);

function section(id, titleKey, ...content) {
  return el("section", { className: "panel", id, "aria-labelledby": `${id}-title` },
    el("h3", { id: `${id}-title` }, t(titleKey)), ...content);
}

function childSection(c) {
  const child = c.child || {};
  const age = ageOn(child.birth_date, today());
  const school = child.school || {};
  return section("case-child", "child", facts([
    ["child_name", child.name], ["sex", word(child.sex)],
    ["age", age === null ? null : t("age_years", { n: age })], ["birth_date", child.birth_date],
    ["id_number", child.id_number], ["school_name", school.name], ["grade", school.grade],
    ["school_status", word(c.school_status || school.status)],
  ]));
}

function parentsSection(c) {
  const rows = c.parents || [];
  const table = el("table", { id: "case-parents" });
  renderTable(table, [
    { key: "relation" }, { key: "parent_status", value: (p) => word(p.status) },
    { key: "work_location", value: (p) => p.work_location || "—" },
    { key: "phone", render: (cell, p) => cell.append(tel(p.phone) || "—") },
  ], rows, { empty: t("none_recorded") });
  return section("case-parents-section", "parents", tableWrap(table, t("parents")));
}

function guardianSection(c) {
  const g = c.guardian || {};
  return section("case-guardian", "guardian", facts([
    ["guardian_type", word(c.guardian_type)], ["child_name", g.name], ["relation", g.relation ? word(g.relation) : null],
    ["phone", tel(g.phone)], ["capacity", g.capacity ? word(g.capacity) : null],
    ["guardian_since", c.guardian_since], ["entrustment_signed_on", c.entrustment_signed_on],
  ]));
}

function addressSection(c) {
  const a = c.address || {};
  return section("case-address", "address", el("p", {}, [placePath(a.jurisdiction || c.jurisdiction), a.detail].filter(Boolean).join(" ")));
}

function interventionsSection(c) {
  const table = el("table", { id: "case-interventions" });
  renderTable(table, [
    { key: "kind" }, { key: "department" },
    { key: "urgency", render: (cell, i) => { cell.textContent = word(i.urgency); cell.className = `urgency-${i.urgency}`; } },
    { key: "opened_on" }, { key: "due_by", value: (i) => i.due_by || "—" }, { key: "status" },
    { key: "progress", render: (cell, i) => cell.append(...(i.progress || []).map((p) => el("div", {}, `${p.progressed_on} ${p.note}`))) },
    { key: "outcome", value: (i) => i.outcome || "" },
  ], c.interventions || [], { empty: t("none_recorded") });
  return section("case-interventions-section", "interventions", tableWrap(table, t("parents")));
}

// A visit held at a care site: a link to the site's page, named once its record is read
// (the name is not in the case; offline and never read, the link says "see the site").
function visitSite(siteId, names) {
  if (!siteId) return null;
  const link = el("a", { href: `#/sites/${encodeURIComponent(siteId)}`, className: "visit-site" }, t("site_open_page"));
  if (!names.has(siteId)) names.set(siteId, api.get(`/api/v1/sites/${encodeURIComponent(siteId)}`).then((s) => s.name).catch(() => null));
  names.get(siteId).then((name) => { if (name) link.textContent = name; });
  return link;
}

function visitsSection(c) {
  const visits = [...(c.recent_visits || [])].reverse();
  const names = new Map();
  const list = el("ol", { className: "visits", id: "case-visits" }, visits.map((v) => el("li", {},
    el("strong", {}, `${v.visited_on} · ${word(v.mode)}`),
    facts([
      ["visit_site", visitSite(v.site_id, names)],
      ["risk_level", word(v.risk_level)], ["living_conditions", word(v.living_conditions)],
      ["school_attendance", word(v.school_attendance)], ["emotional_state", word(v.emotional_state)],
      ["safety_concerns", (v.safety_concerns || []).map(word).join("、") || null], ["notes", v.notes],
    ]))));
  return section("case-visits-section", "visits", visits.length ? list : el("p", {}, t("none_recorded")));
}

function correctionsSection(c) {
  const list = el("ul", { className: "corrections", id: "case-corrections" }, (c.corrections || []).map((x) => el("li", {},
    el("span", { className: "field" }, x.field), ": ",
    el("del", {}, String(x.old_value ?? "—")), " → ", el("ins", {}, String(x.new_value ?? "—")),
    el("div", { className: "reason" }, `${t("reason")}: ${x.reason}`))));
  return section("case-corrections-section", "corrections", (c.corrections || []).length ? list : el("p", {}, t("none_recorded")));
}

// Review before it counts (复核): where the case stands, and the reviewer's comment when
// it was returned (nothing for a case never reviewed: it counts).
function reviewSection(c) {
  const r = c.review;
  if (!r) return "";
  const pairs = [
    [t("review_status"), t(`review_${r.status}`)],
    [t("review_subject"), t(`review_subject_${r.subject}`)],
    [t("review_since"), r.since],
  ];
  if ((r.key_facts || []).length) pairs.push([t("review_key_facts"), r.key_facts.join(", ")]);
  if (r.comment) pairs.push([t("review_comment"), r.comment]);
  return section("case-review", "review", el("dl", { className: `review review-${r.status}`, id: "case-review-facts" },
    pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v ?? "—"))])));
}

// When the fact of an event happened (its own date: visited_on, effective_on…), as
// opposed to when it was recorded (occurred_at).
export function factDate(event) {
  const data = event.data || {};
  for (const part of [data.visit, data.intervention, data.record, data.change, data]) {
    if (!part || typeof part !== "object") continue;
    for (const [key, value] of Object.entries(part)) {
      if (typeof value === "string" && key.endsWith("_on") && !key.startsWith("entrustment") && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
    }
  }
  return null;
}

function timeline(caseId, events, chosen, q) {
  return el("ol", { className: "timeline", id: "timeline", "aria-label": t("timeline") }, events.map((e) => {
    const current = String(e.version) === String(chosen);
    const happened = factDate(e);
    return el("li", { dataset: { version: e.version }, className: current ? "current" : "" },
      el("a", { href: href("/cases/:id", { id: caseId }, { version: e.version, purpose: q.purpose }), "aria-current": current ? "true" : null },
        el("span", { className: "what" }, `v${e.version} · ${eventLabel(e.type)}`),
        happened ? el("span", { className: "happened" }, t("happened_on", { d: happened })) : "",
        el("span", { className: "recorded" }, t("recorded_at", { t: chinaTime(e.occurred_at) })),
        el("span", { className: "actor" }, t("by", { u: e.actor?.username || "—" }))));
  }));
}

// An erasure waiting for a second person, or done: said at the top of the case.
function erasureNote(c) {
  if (c.erasure) {
    const e = c.erasure;
    return el("p", { className: "notice erased", id: "case-erasure", role: "status" },
      t("form_erased", { d: e.erased_on, b: term("erasure_bases", e.basis), u: e.requested_by, a: e.approved_by }));
  }
  if (c.erasure_request) {
    const r = c.erasure_request;
    return el("p", { className: "notice", id: "case-erasure", role: "status" },
      t("form_erasure_pending", { u: r.requested_by, b: term("erasure_bases", r.basis) }));
  }
  return "";
}

function stateList(c) {
  const fields = {
    version: c.version, status: `status_${c.status}`, jurisdiction: placeName(c.jurisdiction),
    guardian_type: c.guardian_type, risk_level: c.risk_level || "unassessed",
    last_visit_on: c.last_visit_on, next_visit_due: c.next_visit_due,
    school_status: c.school_status, assigned_to: c.assigned_to, open_interventions: c.open_interventions,
  };
  const rows = Object.entries(fields).flatMap(([key, value]) => [el("dt", {}, t(key)), el("dd", {}, word(value))]);
  // The care site the child attends (docs/care-sites.md), its page a tap away.
  if (c.site_id) {
    rows.push(el("dt", {}, t("form_site")),
      el("dd", {}, el("a", { href: `#/sites/${encodeURIComponent(c.site_id)}`, id: "case-site" }, t("site_open_page"))));
  }
  return rows;
}

// A button per form the role may use on the case in its state; a form opens in place
// (`#/cases/:id/<form>` opens one on a page of its own).
function actions(caseId, current, etag, container) {
  const allowed = Object.entries(FORMS).filter(([name, form]) => session.can(form.capability) && fits(name, current, session.user?.username));
  if (!allowed.length) return null;
  return el("div", { className: "actions", id: "case-actions" }, allowed.map(([name, form]) =>
    el("button", {
      type: "button", dataset: { form: name },
      on: { click: () => form.render(container, { caseId, case: current, etag, api, t, navigate, done: () => navigate(href("/cases/:id", { id: caseId })) }) },
    }, t(form.label))));
}

function asOfForm(caseId, q) {
  const input = el("input", { type: "date", name: "as_of", id: "as-of", value: q.as_of || "", max: today() });
  const form = el("form", { className: "as-of", id: "as-of-form" },
    el("label", {}, el("span", {}, t("as_of")), input), el("button", { type: "submit" }, t("show_as_of")),
    q.as_of || q.version ? el("a", { href: href("/cases/:id", { id: caseId }, { purpose: q.purpose }) }, t("now")) : "");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value) navigate(href("/cases/:id", { id: caseId }, { as_of: input.value, purpose: q.purpose }));
  });
  return form;
}

// The end of a China day, as the instant the API's `as_of` takes.
const endOfChinaDay = (day) => `${day}T23:59:59+08:00`;

export async function renderCase(view, { params, query: q }) {
  const caseId = params.id;
  const purpose = purposeOf(q);
  if (!purpose) {
    view.replaceChildren(purposeForm(caseId, q));
    return undefined;
  }
  const path = `/api/v1/cases/${encodeURIComponent(caseId)}`;
  const then = q.version ? { version: q.version } : q.as_of ? { as_of: endOfChinaDay(q.as_of) } : null;
  const [{ data: current, etag }, history, past] = await Promise.all([
    api.read(`${path}${query({ purpose })}`),
    api.get(`${path}/history${query({ purpose })}`),
    then ? api.get(`${path}${query({ ...then, purpose })}`) : null,
  ]);
  const shown = past || current;
  await loadPlaces([...lineage(current.jurisdiction), ...trail(current.jurisdiction)]);
  const event = q.version ? history.events.find((e) => String(e.version) === String(q.version)) : null;
  const when = event
    ? t("state_at", { v: event.version, t: chinaTime(event.occurred_at).slice(0, 10) })
    : q.as_of ? t("state_as_of", { d: q.as_of }) : t("state_now");
  const crumbs = el("nav", { className: "crumbs", id: "crumbs", "aria-label": t("breadcrumbs") });
  breadcrumbs(crumbs, current.jurisdiction, current.child?.name || t("case"));
  const formBox = el("div", { id: "case-form" });
  view.replaceChildren(
    crumbs,
    el("h2", { id: "case-title" }, `${shown.child?.name || t("case")} · ${placePath(current.jurisdiction)}`),
    flash(),
    erasureNote(current),
    past ? "" : actions(caseId, current, etag, formBox) || "",
    formBox,
    asOfForm(caseId, q),
    el("p", { id: "case-when", className: past ? "then" : "" }, when),
    el("div", { className: "case-grid" },
      el("div", { className: "case-record" },
        el("dl", { className: "state", id: "case-state" }, stateList(shown)),
        reviewSection(shown), childSection(shown), guardianSection(shown), parentsSection(shown), addressSection(shown),
        interventionsSection(shown), visitsSection(shown), correctionsSection(shown)),
      section("case-timeline", "timeline", timeline(caseId, history.events, q.version, q))),
  );
  return undefined;
}

// A form of the registry on a case (#/cases/:id/:form): FORMS[form].render.
export async function renderCaseForm(view, { params, query: q }) {
  const form = FORMS[params.form];
  if (!form || !session.can(form.capability)) {
    view.replaceChildren(el("h2", {}, t("form_unknown")));
    return undefined;
  }
  const purpose = purposeOf(q) || "case_work";
  const { data: current, etag } = await api.read(`/api/v1/cases/${encodeURIComponent(params.id)}${query({ purpose })}`);
  const container = el("section", { className: "case-form", id: "case-form" });
  view.replaceChildren(
    el("a", { href: href("/cases/:id", { id: params.id }), className: "back", id: "back" }, t("back")),
    el("h2", {}, `${t(form.label)} · ${current.child?.name || ""}`), container);
  const done = () => navigate(href("/cases/:id", { id: params.id }));
  return form.render(container, { caseId: params.id, case: current, etag, api, t, navigate, done, query: q }) || undefined;
}
