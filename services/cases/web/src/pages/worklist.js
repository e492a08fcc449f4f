// The worklists (#/worklists/:name?scope=&page=, and a section of the overview): tabs with
// their counts (ARIA tabs, each its own address), the list most urgent first (the server
// ranks it), totals and paging, and on each row "record visit" and "open case".
import { api, query, session } from "../api.js";
import { el } from "../dom.js";
import { word } from "../format.js";
import { t } from "../i18n/index.js";
import { loadPlaces, placeName } from "../places.js";
import { pager } from "../pager.js";
import { href } from "../router.js";
import { renderTable, tableWrap } from "../table.js";

export const WORKLISTS = [
  "overdue-visits", "no-guardian", "mandatory-reports", "overdue-interventions",
  "open-interventions", "awaiting-review", "returned-for-correction", "likely-duplicates",
];
// The review lists (复核) show since when a case waits instead of visit and intervention dates.
const REVIEW_LISTS = new Set(["awaiting-review", "returned-for-correction"]);
const PER_PAGE = 50;

// The lists the user's role may read, as the server sent them at login (its one rule:
// the police only mandatory reports, a department no list drawn from a field it may not
// see); all of them for a session from before the server sent them.
export function worklistsFor(user) {
  return user?.worklists || WORKLISTS;
}

const urgencyCell = (cell, row) => {
  const urgency = row.intervention?.urgency;
  cell.textContent = urgency ? word(urgency) : "";
  if (urgency) cell.className = `urgency-${urgency}`;
};

function columns(active) {
  // The likely duplicates show which cases look like the same child, as the review lists do.
  const review = REVIEW_LISTS.has(active) || active === "likely-duplicates";
  const all = [
    { key: "case.child.name", render: (cell, row) => cell.append(el("a", { href: href("/cases/:id", { id: row.case.id }) }, row.case.child?.name || "—")) },
    { key: "case.jurisdiction", value: (row) => placeName(row.case.jurisdiction) },
    ...(active === "likely-duplicates"
      ? [{ key: "case.likely_duplicates", value: (row) => String((row.case.likely_duplicates || []).length), review: true }]
      : [
        { key: "case.review.subject", value: (row) => t(`review_subject_${row.case.review?.subject}`), review: true },
        { key: "case.review.since", value: (row) => row.case.review?.since || "", review: true },
      ]),
    { key: "case.risk_level", value: (row) => word(row.case.risk_level || "unassessed") },
    { key: "case.guardian_type" },
    { key: "case.next_visit_due" },
    { key: "intervention.kind" },
    { key: "intervention.urgency", render: urgencyCell },
    { key: "intervention.due_by" },
    { key: "days_overdue", value: (row) => (row.days_overdue ?? "") },
    { key: "row_actions", render: (cell, row) => cell.append(
      session.can("visit") ? el("a", { href: href("/cases/:id/:form", { id: row.case.id, form: "visit" }), className: "action", dataset: { action: "visit" } }, t("record_visit")) : "",
      el("a", { href: href("/cases/:id", { id: row.case.id }), className: "action", dataset: { action: "open" } }, t("open_case"))) },
  ];
  const dated = new Set(["case.next_visit_due", "intervention.kind", "intervention.urgency", "intervention.due_by", "days_overdue"]);
  return all.filter((c) => (review ? !dated.has(c.key) : !c.review));
}

// The tab list; `address(name)` is each tab's page address; `counts` fills in later.
export function worklistTabs(names, active, address) {
  const tabs = el("div", { className: "tabs", id: "worklist-tabs", role: "tablist", "aria-labelledby": "worklists-heading" });
  for (const name of names) {
    const selected = name === active;
    tabs.append(el("a", {
      href: address(name), role: "tab", id: `tab-${name}`, className: selected ? "active" : "",
      "aria-selected": String(selected), "aria-controls": "worklist-panel", tabIndex: selected ? 0 : -1,
      dataset: { worklist: name },
    }, el("span", {}, t(name)), " ", el("span", { className: "badge", dataset: { count: name } })));
  }
  // Arrow keys move between tabs, as a tab list does; Enter opens the focused one.
  tabs.addEventListener("keydown", (event) => {
    if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
    const all = [...tabs.querySelectorAll("[role=tab]")];
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    event.preventDefault();
    const step = { ArrowRight: i + 1, ArrowLeft: i - 1 + all.length, Home: 0, End: all.length - 1 }[event.key];
    all[step % all.length].focus();
  });
  return tabs;
}

// Fills the tabs' counts: each list's total (one line each, the API counts the rest).
async function fillCounts(tabs, names, scope) {
  await Promise.all(names.map(async (name) => {
    const list = await api.get(`/api/v1/worklists/${name}${query({ scope, per_page: 1, purpose: "worklist_count" })}`);
    const badge = tabs.querySelector(`[data-count="${name}"]`);
    if (badge) badge.textContent = String(list.total);
  }));
}

// The tabs, the list and its paging into `container`; `address(name, page)` makes the
// address of a list's page.
export async function renderWorklistSection(container, { scope, name, page = 1, address }) {
  const names = worklistsFor(session.user);
  const active = names.includes(name) ? name : names[0];
  const table = el("table", { id: "worklist" });
  const tabs = worklistTabs(names, active, (n) => address(n, 1));
  const paging = el("div", { className: "paging" });
  container.replaceChildren(
    el("h2", { id: "worklists-heading" }, t("worklists")),
    tabs,
    el("div", { role: "tabpanel", id: "worklist-panel", "aria-labelledby": `tab-${active}` },
      tableWrap(table, t(active)), paging),
  );
  const list = await api.get(`/api/v1/worklists/${active}${query({ scope, page, per_page: PER_PAGE })}`);
  const items = list.items || [];
  renderTable(table, columns(active), items, {
    rowHref: (row) => href("/cases/:id", { id: row.case.id }),
    empty: t("worklist_empty"),
    rowData: (row) => ({ caseId: row.case.id }),
  });
  // On a slow line the list shows first; the tabs' counts and the place names follow
  // (written into the village cells in place, so focus stays where it is).
  fillCounts(tabs, names, scope).catch(() => {});
  loadPlaces(items.map((item) => item.case.jurisdiction)).then(() => {
    const village = columns(active).findIndex((c) => c.key === "case.jurisdiction");
    [...table.tBodies[0].rows].forEach((tr, i) => {
      if (items[i]) tr.cells[village].textContent = placeName(items[i].case.jurisdiction);
    });
  }).catch(() => {});
  paging.replaceChildren(pager(list.total, page, PER_PAGE, (p) => address(active, p)));
  return list;
}

// The worklists page of its own.
export async function renderWorklists(view, { params, query: q }) {
  const scope = q.scope || session.user.scope;
  const page = Math.max(1, Number.parseInt(q.page || "1", 10) || 1);
  const section = el("section", { className: "worklists" });
  view.replaceChildren(section);
  await renderWorklistSection(section, {
    scope, name: params.name, page,
    address: (name, p) => href("/worklists/:name", { name }, { scope: q.scope, page: p > 1 ? p : undefined }),
  });
  return undefined;
}
