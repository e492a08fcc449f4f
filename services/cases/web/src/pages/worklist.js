// The worklists: tabs (ARIA tabs, each its own address) and the list's table.
import { api, query } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { href } from "../router.js";
import { renderTable } from "../table.js";

export const WORKLISTS = ["overdue-visits", "no-guardian", "mandatory-reports", "overdue-interventions"];

const COLUMNS = ["case.child.name", "case.jurisdiction", "case.risk_level", "case.guardian_type",
  "case.next_visit_due", "intervention.kind", "intervention.department", "days_overdue"].map((key) => ({ key }));

// The tab list; `address(name)` is each tab's page address.
export function worklistTabs(active, address) {
  const tabs = el("div", { className: "tabs", id: "worklist-tabs", role: "tablist", "aria-labelledby": "worklists-heading" });
  for (const name of WORKLISTS) {
    const selected = name === active;
    tabs.append(el("a", {
      href: address(name), role: "tab", id: `tab-${name}`, className: selected ? "active" : "",
      "aria-selected": String(selected), "aria-controls": "worklist-panel", dataset: { worklist: name },
    }, t(name)));
  }
  // Arrow keys move between tabs, as a tab list does.
  tabs.addEventListener("keydown", (event) => {
    if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const all = [...tabs.querySelectorAll("[role=tab]")];
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    const next = all[(i + (event.key === "ArrowRight" ? 1 : all.length - 1)) % all.length];
    next.focus();
  });
  return tabs;
}

export async function renderWorklist(table, name, scope) {
  const list = await api.get(`/api/v1/worklists/${name}${query({ scope, per_page: 50 })}`);
  renderTable(table, COLUMNS, list.items || [], {
    rowHref: (row) => href("/cases/:id", { id: row.case.id }),
    empty: t("worklist_empty"),
  });
  return list;
}
