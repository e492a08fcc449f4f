// The overview of one jurisdiction (#/overview/:scope?as_of=&worklist=): the place and
// the date of its figures, the headline figures, the jurisdictions below (click to drill
// down), the worklists; the charts (placed under the figures) are drawn last, their library
// loaded after the rest so the work is on screen
// first. Each chart has its table beside it; a chart without data is left out, and says so.
// The police see their mandatory reports and the breakdown of them, nothing else.
import { api, query, session } from "../api.js";
import { el } from "../dom.js";
import { at, number, share as percent } from "../format.js";
import { t } from "../i18n/index.js";
import { href, navigate } from "../router.js";
import { renderTable } from "../table.js";
import { breadcrumbs } from "./crumbs.js";
import { asOfOf, reportsOnly, scoped, trailNames, viewHeading } from "./view-tools.js";
import { reportSection } from "./report-download.js";
import { renderWorklistSection, worklistsFor } from "./worklist.js";

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
  // Review before it counts (复核): the figures above count confirmed cases; these wait.
  ["pending_review", "pending_review.total"],
];
const REPORT_FIGURES = [
  ["mandatory_reports_open", "mandatory_reports.open"], ["mandatory_reports_overdue", "mandatory_reports.overdue"],
  ["reported_cases", "mandatory_reports.cases"],
];
// A department's intervention tiles count its own (the API narrows them): say so.
const OWN = { open_interventions: "open_interventions_own", overdue_interventions: "overdue_interventions_own" };

const share = (key) => ({ key, kind: "share" });
const BREAKDOWN_COLUMNS = [{ key: "name" }, { key: "active" }, { key: "no_guardian" }, { key: "high_risk" },
  { key: "overdue_visits" }, share("visit_coverage_30_days"), share("entrustment_signed_share"),
  { key: "open_interventions" }];
const REPORT_COLUMNS = ["name", "mandatory_reports_open", "mandatory_reports_overdue", "reported_cases"].map((key) => ({ key }));
const TREND_KEYS = ["identified", "children_visited", "interventions_opened", "active_at_month_end"];
const REPORT_TREND_KEYS = ["mandatory_reports_opened"];

function figures(summary, police) {
  const own = Boolean(summary.interventions?.department);
  return (police ? REPORT_FIGURES : FIGURES).flatMap(([key, path, kind]) => {
    const value = at(summary, path);
    if (typeof value !== "number") return [];
    const shown = kind === "share" ? percent(value) : number(value);
    const label = t(own && OWN[key] ? OWN[key] : key);
    return [el("div", { className: "figure", dataset: { key } },
      el("div", { className: "value" }, shown), el("div", { className: "label" }, label))];
  });
}

// The last month of the trend is the as-of month: unless as_of is its last day, it is
// month to date, and its label says so (it is not a month like the others).
function monthLabels(months, asOf) {
  const day = new Date(`${asOf}T00:00:00Z`);
  const next = new Date(day.getTime() + 86_400_000);
  const partial = next.getUTCMonth() === day.getUTCMonth();
  return months.map((m) => (partial && m.month === asOf.slice(0, 7) ? t("month_to_date", { month: m.month }) : m.month));
}

// The charts of this view, as specs for charts.js: [{id, kind, title, categories, series}].
function chartSpecs(summary, months, rows, police) {
  const labels = monthLabels(months, summary.as_of);
  const trend = (keys) => ({ id: "trend", kind: "line", title: t("trend"), categories: labels,
    series: keys.map((k) => ({ name: t(k), values: months.map((m) => m[k] ?? 0) })) });
  if (police) {
    const reported = rows.filter((r) => r.mandatory_reports_open > 0);
    return [
      { id: "reports", kind: "bar", title: t("mandatory_reports_open"), categories: reported.map((r) => r.name),
        series: [{ name: t("mandatory_reports_open"), values: reported.map((r) => r.mandatory_reports_open) }] },
      trend(REPORT_TREND_KEYS),
    ];
  }
  const pairs = (object) => Object.entries(object || {});
  const guardians = pairs(summary.guardian_types);
  const risk = pairs(summary.risk_levels);
  return [
    { id: "guardians", kind: "pie", title: t("guardians"), categories: guardians.map(([k]) => t(k)),
      series: [{ name: t("chart_count"), values: guardians.map(([, v]) => v) }] },
    { id: "risk", kind: "bar", title: t("risk"), categories: risk.map(([k]) => t(k)),
      series: [{ name: t("chart_count"), values: risk.map(([, v]) => v) }] },
    trend(TREND_KEYS),
  ];
}

const hasData = (spec) => spec.series.some((s) => s.values.some((v) => typeof v === "number" && v !== 0));

// One chart's place: the chart (an image to assistive technology, named by its title)
// and its data as a table; or, without data, a sentence saying so.
function chartBlock(spec, exportName) {
  const box = el("section", { className: `chart-block${spec.kind === "line" ? " wide" : ""}`, id: `chart-block-${spec.id}` });
  if (!hasData(spec)) {
    box.append(el("p", { className: "chart-empty", id: `chart-empty-${spec.id}` }, t("chart_empty", { chart: spec.title })));
    return { box, node: null };
  }
  const node = el("div", { className: "chart", id: `chart-${spec.id}`, role: "img", "aria-label": spec.title });
  const table = el("table", { id: `chart-table-${spec.id}` });
  const first = spec.kind === "line" ? "month" : "category";
  const columns = [{ key: first, label: t(`chart_${first}`) }, ...spec.series.map((s, i) => ({ key: `s${i}`, label: s.name }))];
  const rows = spec.categories.map((name, row) => Object.fromEntries(
    [[first, name], ...spec.series.map((s, i) => [`s${i}`, s.values[row]])]));
  const details = el("details", { className: "chart-data" },
    el("summary", {}, t("chart_data_of", { chart: spec.title })), el("div", { className: "table-wrap" }, table));
  box.append(node, details);
  renderTable(table, columns, rows, { exportName: `${exportName}-${spec.title}` });
  return { box, node };
}

export async function renderOverview(view, { params, query: q }) {
  const scope = params.scope;
  const police = reportsOnly();
  const asOf = asOfOf(q);
  const allowed = worklistsFor(session.user);
  const worklist = allowed.includes(q.worklist) ? q.worklist : allowed[0];
  const here = (extra = {}) => href("/overview/:scope", { scope }, { as_of: asOf || undefined, worklist, ...extra });

  const [summary, rows] = await Promise.all([
    api.get(`/api/v1/dashboard/summary${scoped(scope, asOf)}`),
    api.get(`/api/v1/dashboard/breakdown${scoped(scope, asOf)}`),
    trailNames(scope),
  ]);
  const place = summary.name || scope;
  const exportName = `${place}-${summary.as_of}`;
  const links = [];
  if (!police && scope.length < 12) {
    links.push(el("a", { href: href("/ranking/:scope", { scope }, { as_of: asOf || undefined }), id: "to-ranking" }, t("ranking")));
  }
  if (session.can("read_audit")) links.push(el("a", { href: href("/audit/access-log"), id: "to-access-log" }, t("access_log")));
  const crumbs = el("nav", { className: "crumbs", id: "crumbs", "aria-label": t("breakdown") });
  const breakdown = el("table", { id: "breakdown" });
  const worklists = el("section", { className: "worklists no-print", id: "worklists" });
  const charts = el("div", { className: "charts", id: "charts" });
  view.replaceChildren(
    viewHeading({ id: "overview", title: place, asOf: { shown: summary.as_of }, links,
      onAsOf: (day) => navigate(href("/overview/:scope", { scope }, { as_of: day, worklist })) }),
    crumbs,
    el("div", { className: "figures", id: "figures" }, ...figures(summary, police)),
    charts,
    el("h2", {}, t("breakdown")), el("div", { className: "table-wrap" }, breakdown),
    worklists,
    police ? "" : reportSection(scope, place, summary.as_of),
  );
  breadcrumbs(crumbs, scope);
  // Jurisdictions without a single child (a city's urban districts) would only be noise.
  const shown = (rows.rows || []).filter((row) => (police ? row.reported_cases > 0 : row.active > 0));
  renderTable(breakdown, police ? REPORT_COLUMNS : BREAKDOWN_COLUMNS, shown, {
    rowHref: (row) => href("/overview/:scope", { scope: String(row.code) }, { as_of: asOf || undefined }),
    sortParam: "sort", exportName: `${exportName}-${t("breakdown")}`, empty: t("no_jurisdictions"),
  });
  breakdown.dataset.scope = rows.code; // which scope the table shows
  // The tabs, the list ranked by urgency and its paging (the lists this role may read).
  await renderWorklistSection(worklists, {
    scope, name: worklist, page: Number(q.page) || 1,
    address: (name, page) => here({ worklist: name, page: page > 1 ? page : undefined }),
  });
  const [{ drawCharts }, trend] = await Promise.all([
    import("../charts.js"), api.get(`/api/v1/dashboard/trend${query({ scope, months: 12, as_of: asOf || undefined })}`),
  ]);
  if (!view.isConnected) return undefined;
  const blocks = chartSpecs(summary, trend.months || [], shown, police).map((spec) => ({ spec, ...chartBlock(spec, exportName) }));
  charts.replaceChildren(...blocks.map((b) => b.box));
  return drawCharts(blocks.filter((b) => b.node).map((b) => ({ ...b.spec, node: b.node })));
}
