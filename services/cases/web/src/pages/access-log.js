// The auditors' access log (#/audit/access-log?username=&case_id=&since=&until=&page=):
// who read which child's record, when and why, inside the auditor's scope, newest first
// (GET /api/v1/audit/access-log; X-Total-Count gives the total). The filters and the
// page live in the address, so back, reload and bookmarks keep them.
import { api, query, session } from "../api.js";
import { el } from "../dom.js";
import { chinaTime } from "../format.js";
import { t } from "../i18n/index.js";
import { href, navigate } from "../router.js";
import { renderTable } from "../table.js";
import { placeNames } from "./view-tools.js";

const PER_PAGE = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FILTERS = ["username", "case_id", "since", "until"];
const LABELS = { username: "username", case_id: "log_case", since: "log_since", until: "log_until" };

// A day in China time as the instant it starts; `until` is inclusive, so it ends where
// the next day starts.
function startOf(day, plusDays = 0) {
  const start = new Date(Date.parse(`${day}T00:00:00+08:00`) + plusDays * 86_400_000);
  return new Date(start.getTime() + 8 * 3_600_000).toISOString().slice(0, 10) + "T00:00:00+08:00";
}

function filtersOf(q) {
  return {
    username: (q.username || "").trim().slice(0, 64),
    case_id: UUID.test(q.case_id || "") ? q.case_id : "",
    since: DAY.test(q.since || "") ? q.since : "",
    until: DAY.test(q.until || "") ? q.until : "",
  };
}

function filterForm(filters) {
  const field = (name, type) => el("label", {}, el("span", {}, t(LABELS[name])),
    el("input", { name, type, value: filters[name], id: `filter-${name}`, autocomplete: "off" }));
  const form = el("form", { className: "filters no-print", id: "access-log-filters", role: "search" },
    field("username", "text"), field("case_id", "text"), field("since", "date"), field("until", "date"),
    el("div", { className: "buttons" },
      el("button", { type: "submit" }, t("log_filter")),
      el("a", { href: href("/audit/access-log"), id: "clear-filters" }, t("log_clear"))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const given = Object.fromEntries(FILTERS.map((name) => [name, String(new FormData(form).get(name) || "").trim()]));
    navigate(href("/audit/access-log", {}, given));
  });
  return form;
}

function pager(filters, page, pages) {
  const go = (n) => href("/audit/access-log", {}, { ...filters, page: n });
  const link = (n, label, id) => (n >= 1 && n <= pages
    ? el("a", { href: go(n), id, rel: n < page ? "prev" : "next" }, label)
    : el("span", { id, className: "disabled", "aria-disabled": "true" }, label));
  return el("nav", { className: "pager no-print", "aria-label": t("log_page_of", { page, pages }) },
    link(page - 1, t("log_previous"), "page-previous"),
    el("span", { id: "page-of" }, t("log_page_of", { page, pages })),
    link(page + 1, t("log_next"), "page-next"));
}

export async function renderAccessLog(view, { query: q }) {
  const filters = filtersOf(q);
  const page = Math.max(1, Number.parseInt(q.page, 10) || 1);
  const { data, total } = await api.read(`/api/v1/audit/access-log${query({
    username: filters.username || undefined, case_id: filters.case_id || undefined,
    since: filters.since ? startOf(filters.since) : undefined,
    until: filters.until ? startOf(filters.until, 1) : undefined,
    page, per_page: PER_PAGE,
  })}`);
  const entries = data || [];
  const count = total ?? entries.length;
  const pages = Math.max(1, Math.ceil(count / PER_PAGE));
  const names = await placeNames(entries.map((e) => e.jurisdiction));
  const table = el("table", { id: "access-log" });
  view.replaceChildren(
    el("div", { className: "view-head" }, el("h2", { id: "access-log-heading" }, t("access_log")),
      session.can("read_case") ? el("a", { href: href("/overview/:scope", { scope: session.user.scope }), id: "to-overview" }, t("overview")) : null),
    filterForm(filters),
    el("p", { id: "access-log-total", role: "status" }, t("log_total", { n: count.toLocaleString() })),
    el("div", { className: "table-wrap" }, table),
    pager(filters, page, pages),
  );
  const columns = [
    { key: "at", label: t("log_at"), value: (row) => chinaTime(row.at) },
    { key: "username", label: t("username") },
    { key: "role", label: t("log_role") },
    { key: "case_id", label: t("log_case"), render: (cell, row) => cell.append(el("a", { href: href("/cases/:id", { id: row.case_id }) }, row.case_id.slice(0, 8))) },
    { key: "jurisdiction", label: t("log_jurisdiction"), value: (row) => names[row.jurisdiction] || row.jurisdiction },
    { key: "purpose", label: t("log_purpose") },
  ];
  renderTable(table, columns, entries, {
    empty: t("access_log_empty"),
    exportName: `${t("access_log")}-${page}`,
    rowData: (row) => ({ caseId: row.case_id }),
  });
}
