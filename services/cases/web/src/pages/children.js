// My children (#/children?q=&risk_level=&guardian_type=&overdue=&page=): the cases of the
// caller's village or township from GET /api/v1/cases, searched by name or ID number (the
// server's keyed-hash search: the query never leaves as plain text in a log), filtered by
// risk, guardian type and overdue visits, with totals and paging.
import { api, query } from "../api.js";
import { el } from "../dom.js";
import { ageOn, today, word } from "../format.js";
import { t } from "../i18n/index.js";
import { loadPlaces, placeName } from "../places.js";
import { pager } from "../pager.js";
import { href, navigate } from "../router.js";
import { renderTable, tableWrap } from "../table.js";

const PER_PAGE = 50;
const RISKS = ["high", "medium", "low"];
const GUARDIANS = ["none", "grandparent", "parent", "other_relative", "entrusted_adult", "institution"];
const FILTERS = ["q", "risk_level", "guardian_type", "overdue"];

function select(name, options, current) {
  return el("select", { name, id: `filter-${name}` },
    el("option", { value: "" }, t("any")),
    options.map((value) => el("option", { value, selected: value === current }, word(value))));
}

function filterForm(q) {
  const form = el("form", { className: "filters", id: "children-filters", role: "search" },
    el("label", {}, el("span", {}, t("search")),
      el("input", { type: "search", name: "q", value: q.q || "", placeholder: t("search_hint"), maxLength: 50, autocomplete: "off" })),
    el("label", {}, el("span", {}, t("risk_level")), select("risk_level", RISKS, q.risk_level)),
    el("label", {}, el("span", {}, t("guardian_type")), select("guardian_type", GUARDIANS, q.guardian_type)),
    el("label", { className: "check" }, el("input", { type: "checkbox", name: "overdue", value: "true", checked: q.overdue === "true" }),
      el("span", {}, t("overdue_only"))),
    el("button", { type: "submit" }, t("filter")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const next = Object.fromEntries(FILTERS.map((name) => [name, (fields.get(name) || "").toString().trim()]));
    navigate(href("/children", {}, next));
  });
  return form;
}

const COLUMNS = [
  { key: "child", render: (cell, row) => cell.append(el("a", { href: href("/cases/:id", { id: row.id }) }, row.child?.name || "—")) },
  { key: "sex", value: (row) => word(row.child?.sex) },
  { key: "age", value: (row) => { const n = ageOn(row.child?.birth_date, today()); return n === null ? "—" : t("age_years", { n }); } },
  { key: "village", value: (row) => placeName(row.jurisdiction) },
  { key: "guardian_type" },
  { key: "risk_level", value: (row) => word(row.risk_level || "unassessed") },
  { key: "next_visit_due", render: (cell, row) => {
    cell.textContent = row.next_visit_due || "—";
    if (row.visit_overdue) cell.append(" ", el("span", { className: "tag overdue" }, t("overdue_visits")));
  } },
];

export async function renderChildren(view, { query: q }) {
  const page = Math.max(1, Number.parseInt(q.page || "1", 10) || 1);
  const table = el("table", { id: "children" });
  const paging = el("div", { className: "paging" });
  view.replaceChildren(el("h2", {}, t("children_title")), filterForm(q), tableWrap(table, t("children_title")), paging);
  const params = { status: "active", page, per_page: PER_PAGE, purpose: "my_children" };
  for (const name of FILTERS) if (q[name]) params[name] = q[name];
  const list = await api.get(`/api/v1/cases${query(params)}`);
  await loadPlaces(list.items.map((row) => row.jurisdiction));
  renderTable(table, COLUMNS, list.items, {
    rowHref: (row) => href("/cases/:id", { id: row.id }),
    empty: t("children_empty"),
    rowData: (row) => ({ caseId: row.id }),
  });
  const filtersOf = Object.fromEntries(FILTERS.map((name) => [name, q[name]]));
  paging.replaceChildren(pager(list.total, page, PER_PAGE, (p) => href("/children", {}, { ...filtersOf, page: p > 1 ? p : undefined })));
  return undefined;
}
