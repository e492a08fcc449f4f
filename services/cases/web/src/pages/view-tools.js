// What the officials' views share: the heading with the place and the date the figures
// are as of (also what a printout starts with), the as-of date picker, the print button,
// place names for codes, and the roles' rules the views follow.
import { query, session } from "../api.js";
import { loadPlaces, placeName } from "../places.js";
import { el } from "../dom.js";
import { at } from "../format.js";
import { t } from "../i18n/index.js";
import { renderTable } from "../table.js";
import { trail } from "./crumbs.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

// The as_of of the address when it is a date, else "" (today, as the server counts it).
export function asOfOf(q) {
  return DAY.test(q.as_of || "") ? q.as_of : "";
}

// The police see only mandatory reports (the API's rule: services/cases/projections/
// read_models.py); their view leaves out what they may not read rather than fail on it.
export function reportsOnly() {
  return session.user?.role === "police";
}

// The names of `codes` the caller may know (src/places.js keeps them for the session);
// an unknown code stands for itself.
export async function placeNames(codes) {
  await loadPlaces(codes);
  return Object.fromEntries(codes.filter(Boolean).map((code) => [code, placeName(code)]));
}

// The names of the breadcrumbs' trail down to `scope` (breadcrumbs() then shows them).
export function trailNames(scope) {
  return placeNames(trail(scope));
}

// The page's heading: the place, the date of the figures, and the tools (as-of, print).
export function viewHeading({ id, title, asOf, onAsOf, links = [] }) {
  const picker = el("form", { className: "as-of-form", id: `${id}-as-of-form` },
    el("label", {}, el("span", {}, t("view_as_of_date")),
      el("input", { type: "date", name: "as_of", value: asOf.shown, required: true })),
    el("button", { type: "submit" }, t("view_show")));
  picker.addEventListener("submit", (event) => {
    event.preventDefault();
    onAsOf(new FormData(picker).get("as_of"));
  });
  const print = el("button", { type: "button", className: "print", on: { click: () => window.print() } }, t("view_print"));
  return el("div", { className: "view-head" },
    el("div", {},
      el("h2", { id: `${id}-heading`, className: "place" }, title),
      el("p", { className: "as-of", id: `${id}-as-of` }, t("figures_as_of", { date: asOf.shown }))),
    el("div", { className: "view-tools no-print" },
      links.length ? el("nav", { className: "view-links", "aria-label": t("view_links") }, ...links) : null,
      picker, print));
}

export const scoped = (scope, asOf) => query({ scope, as_of: asOf || undefined });

// Renders `table` again with the division codes of column `key` shown as place names
// (tables name places, not codes); sorting and the Excel export follow.
export async function namePlaces(table, key) {
  if (!table.model?.rows.length) return;
  const { columns, rows, options } = table.model;
  const names = await placeNames(rows.map((row) => at(row, key)));
  const named = columns.map((c) => (c.key === key ? { ...c, value: (row) => names[at(row, key)] || at(row, key) } : c));
  renderTable(table, named, rows, options);
}
