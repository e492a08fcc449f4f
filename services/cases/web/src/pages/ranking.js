// The assessment ranking (考核) of the jurisdictions under one scope
// (#/ranking/:scope?level=&as_of=&sort=), as the API scores them
// (GET /api/v1/dashboard/ranking): rank, score and each figure beside it. Each row opens
// that jurisdiction's overview.
import { api, query } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { href, navigate } from "../router.js";
import { renderTable } from "../table.js";
import { breadcrumbs } from "./crumbs.js";
import { asOfOf, trailNames, viewHeading } from "./view-tools.js";

// The levels one may rank by, by the length of their division codes.
const LEVELS = [[6, "county"], [9, "township"], [12, "village"]];
const share = (key) => ({ key, kind: "share" });
const COLUMNS = () => [{ key: "rank", label: t("ranking_rank") }, { key: "name" }, { key: "score", label: t("ranking_score") }, share("visit_coverage_30_days"),
  share("overdue_visit_share"), share("entrustment_signed_share"), { key: "open_interventions" },
  { key: "overdue_interventions" }, { key: "active" }];

export async function renderRanking(view, { params, query: q }) {
  const scope = params.scope;
  const asOf = asOfOf(q);
  const below = LEVELS.filter(([length]) => length > scope.length).map(([, name]) => name);
  const level = below.includes(q.level) ? q.level : below[0];
  const address = (changes) => href("/ranking/:scope", { scope }, { level, as_of: asOf || undefined, ...changes });
  const [ranking] = await Promise.all([
    api.get(`/api/v1/dashboard/ranking${query({ scope, level, as_of: asOf || undefined })}`),
    trailNames(scope),
  ]);
  const place = ranking.name || scope;
  const crumbs = el("nav", { className: "crumbs", id: "crumbs", "aria-label": t("ranking") });
  const picker = el("select", { id: "ranking-level", name: "level" },
    ...below.map((name) => el("option", { value: name, selected: name === level }, t(`level_${name}`))));
  picker.addEventListener("change", () => navigate(address({ level: picker.value })));
  const table = el("table", { id: "ranking" });
  view.replaceChildren(
    viewHeading({ id: "ranking", title: t("ranking_of", { place }), asOf: { shown: ranking.as_of },
      links: [el("a", { href: href("/overview/:scope", { scope }, { as_of: asOf || undefined }), id: "to-overview" }, t("overview"))],
      onAsOf: (day) => navigate(address({ as_of: day })) }),
    crumbs,
    el("label", { className: "inline no-print" }, el("span", {}, t("ranking_level")), picker),
    el("div", { className: "table-wrap" }, table),
  );
  breadcrumbs(crumbs, scope);
  renderTable(table, COLUMNS(), ranking.rows || [], {
    rowHref: (row) => href("/overview/:scope", { scope: String(row.code) }, { as_of: asOf || undefined }),
    sortParam: "sort", empty: t("ranking_none"),
    exportName: `${place}-${t("ranking")}-${t(`level_${level}`)}-${ranking.as_of}`,
  });
  table.dataset.level = ranking.ranked_level;
}
