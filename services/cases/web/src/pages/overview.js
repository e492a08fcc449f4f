// The overview of one jurisdiction (#/overview/:scope): headline figures, the
// jurisdictions below (click to drill down), the worklists, then the charts, whose
// library loads last so the work is on screen first.
import { api, query } from "../api.js";
import { el } from "../dom.js";
import { at, number, share, word } from "../format.js";
import { t } from "../i18n/index.js";
import { href } from "../router.js";
import { renderTable, tableWrap } from "../table.js";
import { breadcrumbs, trail } from "./crumbs.js";
import { loadPlaces, placeName } from "../places.js";
import { renderWorklistSection } from "./worklist.js";

// The headline figures of a summary: [label key, path into the answer, kind].
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

const SHARES = new Set(["visit_coverage_30_days", "entrustment_signed_share"]);
const BREAKDOWN_COLUMNS = ["name", "active", "no_guardian", "high_risk", "overdue_visits",
  "visit_coverage_30_days", "entrustment_signed_share", "open_interventions"]
  .map((key) => (SHARES.has(key) ? { key, value: (row) => share(row[key]) ?? "" } : { key }));

function figures(summary) {
  return FIGURES.flatMap(([key, path, kind]) => {
    const value = at(summary, path);
    const shown = kind === "share" ? share(value) : number(value);
    if (shown === null) return [];
    return [el("div", { className: "figure", dataset: { key } },
      el("div", { className: "value" }, shown), el("div", { className: "label" }, t(key)))];
  });
}

const TREND_KEYS = ["identified", "children_visited", "interventions_opened", "active_at_month_end"];

function chartTables(box, summary, months) {
  const pairs = (object) => Object.entries(object || {}).map(([key, n]) => ({ key, n }));
  const small = (caption, rows) => renderTable(el("table", {}), [
    { key: "kind", label: caption, value: (r) => word(r.key) }, { key: "n", label: "", value: (r) => number(r.n) ?? "" },
  ], rows, { caption });
  const trend = renderTable(el("table", {}), [
    { key: "month", label: "", value: (m) => m.month },
    ...TREND_KEYS.map((key) => ({ key, value: (m) => number(m[key]) ?? "" })),
  ], months, { caption: t("trend") });
  box.append(small(t("guardians"), pairs(summary.guardian_types)), small(t("risk"), pairs(summary.risk_levels)),
    tableWrap(trend, t("trend")));
}

export async function renderOverview(view, { params, query: q }) {
  const scope = params.scope;
  const page = Math.max(1, Number.parseInt(q.page || "1", 10) || 1);
  const crumbs = el("nav", { className: "crumbs", id: "crumbs", "aria-label": t("breakdown") });
  const figureBox = el("div", { className: "figures", id: "figures" });
  const chartBox = { guardians: el("div", { className: "chart", id: "chart-guardians" }),
    risk: el("div", { className: "chart", id: "chart-risk" }),
    trend: el("div", { className: "chart wide", id: "chart-trend" }) };
  const breakdown = el("table", { id: "breakdown" });
  const worklists = el("section", { className: "worklists" });
  // The charts' figures as tables, for screen readers and keyboards (a canvas says nothing).
  const chartData = el("details", { className: "chart-data", id: "chart-data" }, el("summary", {}, t("charts_table")));
  const heading = el("h2", { id: "scope-title" });
  view.replaceChildren(
    crumbs, heading, figureBox,
    el("div", { className: "charts" }, chartBox.guardians, chartBox.risk, chartBox.trend),
    chartData,
    el("h2", {}, t("breakdown")), tableWrap(breakdown, t("breakdown")),
    worklists,
  );
  const scoped = query({ scope });
  // The figures and the worklist load side by side (each a round trip or two on a slow
  // line); the charts' library only once both are on screen.
  const [summary] = await Promise.all([
    (async () => {
      const [answer, rows] = await Promise.all([
        api.get(`/api/v1/dashboard/summary${scoped}`), api.get(`/api/v1/dashboard/breakdown${scoped}`),
        loadPlaces(trail(scope)),
      ]);
      breadcrumbs(crumbs, scope);
      heading.textContent = answer.name || placeName(scope);
      figureBox.replaceChildren(...figures(answer));
      // Jurisdictions without a single child (a city's urban districts) would only be noise.
      renderTable(breakdown, BREAKDOWN_COLUMNS, (rows.rows || []).filter((row) => row.active > 0), {
        rowHref: (row) => href("/overview/:scope", { scope: String(row.code) }),
      });
      breakdown.dataset.scope = rows.code; // which scope the table shows
      return answer;
    })(),
    renderWorklistSection(worklists, {
      scope, name: q.worklist, page,
      address: (name, p) => href("/overview/:scope", { scope }, { worklist: name, page: p > 1 ? p : undefined }),
    }),
  ]);
  const [{ drawCharts }, trend] = await Promise.all([
    import("../charts.js"), api.get(`/api/v1/dashboard/trend${query({ scope, months: 12 })}`),
  ]);
  if (!view.isConnected) return undefined;
  chartTables(chartData, summary, trend.months || []);
  return drawCharts(chartBox, summary, trend.months || []);
}
