// Care sites (关爱保护场所): the list of the sites in the caller's scope with their figures
// (#/sites), and one site's page (#/sites/:id). Civil affairs (capability manage_sites)
// register sites, move them planned → built → open → closed and set the year's plan;
// every other role that reads cases sees the same pages read-only. docs/care-sites.md.
import { api, query, session } from "../api.js";
import { el } from "../dom.js";
import { share } from "../format.js";
import { t } from "../i18n/index.js";
import { loadPlaces, placePath } from "../places.js";
import { href, navigate } from "../router.js";
import { renderTable } from "../table.js";
import { frame, input, loadRules, read, select, term, wire } from "../forms/kit.js";

// The statuses a site may move to from each (shared/vocabulary.py SITE_MOVES).
const NEXT = { planned: ["built", "closed"], built: ["open", "closed"], open: ["closed"], closed: [] };
const sitePath = (id) => `/api/v1/sites/${encodeURIComponent(id)}`;
const COLUMNS = () => [
  { key: "name", label: t("site_name") },
  { key: "kind", label: t("site_kind"), value: (row) => term("site_kinds", row.kind) },
  { key: "village_name", label: t("site_village_name") },
  { key: "status", label: t("site_status"), value: (row) => term("site_statuses", row.status) },
  { key: "capacity", label: t("site_capacity") },
  { key: "children_served", label: t("site_children_served") },
];

// One row per jurisdiction one level below the scope: sites, villages, children, plan.
const BELOW_COLUMNS = () => [
  { key: "name", label: t("site_place") },
  { key: "sites.standing", label: t("sites_standing") },
  { key: "sites.open", label: t("sites_open") },
  { key: "villages.with_site", label: t("sites_villages_with") },
  { key: "villages.without_site", label: t("sites_villages_without") },
  { key: "children_served", label: t("sites_children") },
  { key: "plan.target", label: t("sites_plan_target"), value: (row) => (row.plan?.target ?? "—") },
  { key: "plan.built", label: t("sites_plan_built") },
];

export async function renderSites(view) {
  const scope = session.user.scope;
  const [sites, figures] = await Promise.all([
    api.get(`/api/v1/sites${query({ jurisdiction: scope })}`),
    api.get(`/api/v1/sites/figures${query({ scope })}`),
    loadRules(),
  ]);
  const table = el("table", { id: "sites" });
  const below = el("table", { id: "sites-below" });
  const manage = session.can("manage_sites");
  const add = el("div", { id: "site-new" });
  // A plan is set for a province, city, county or township (not a village).
  const plannable = manage && scope.length < 12;
  view.replaceChildren(
    el("h2", { id: "sites-heading" }, t("sites_title")),
    tiles(figures),
    el("div", { className: "actions" },
      manage ? el("button", { type: "button", id: "site-new-open", className: "primary",
        on: { click: () => newSiteForm(add, scope) } }, t("site_new")) : null,
      plannable ? el("button", { type: "button", id: "site-plan-open",
        on: { click: () => planForm(add, scope, figures) } }, t("sites_plan_set")) : null),
    add,
    figures.rows?.length ? el("div", { className: "table-wrap" }, below) : null,
    el("div", { className: "table-wrap" }, table),
  );
  if (figures.rows?.length) {
    renderTable(below, BELOW_COLUMNS(), figures.rows, {
      caption: t("sites_below"), sortParam: "by", exportName: `${t("sites_title")}-${t("sites_below")}`,
    });
  }
  renderTable(table, COLUMNS(), sites.items || [], {
    rowHref: (row) => href("/sites/:id", { id: row.id }),
    empty: t("sites_none"), sortParam: "sort", exportName: t("sites_title"),
  });
}

// The figures of the scope: sites, villages with and without one, children, the plan.
function tiles(f) {
  const plan = f.plan || {};
  // The overview's figure boxes (styles.css .figures), one per figure.
  const tile = (id, label, value) => el("div", { className: "figure", id: `sites-${id}`, dataset: { key: id } },
    el("div", { className: "value" }, String(value)), el("div", { className: "label" }, label));
  return el("section", { className: "figures", "aria-label": t("sites_figures") },
    tile("standing", t("sites_standing"), f.sites.standing),
    tile("open", t("sites_open"), f.sites.open),
    tile("planned", t("sites_planned"), f.sites.planned),
    tile("with", t("sites_villages_with"), f.villages.with_site),
    tile("without", t("sites_villages_without"), f.villages.without_site),
    tile("children", t("sites_children"), f.children_served),
    tile("plan", t("sites_plan"), plan.target == null ? t("sites_plan_none")
      : `${plan.built} / ${plan.target} (${share(plan.share)})`));
}

// This year's plan of new sites for the caller's own jurisdiction (PUT, If-Match free:
// the last target set wins, as a plan is revised by one office).
function planForm(container, scope, figures) {
  const year = Number(figures.as_of.slice(0, 4));
  const form = frame("site-plan", `${t("sites_plan_set")} (${year})`, [
    input("target", t("sites_plan_target"), { type: "number", required: true, min: 1, inputMode: "numeric",
      value: figures.plan?.target ?? "" }),
  ], { onCancel: () => container.replaceChildren() });
  wire(form, {
    body: (f) => {
      const target = read(f, "target");
      return { target: target === null || Number.isNaN(Number(target)) ? target : Number(target) };
    },
    send: (body, key) => api.send("PUT", `/api/v1/site-plans/${encodeURIComponent(scope)}/${year}`, body,
      { idempotencyKey: key, label: t("sites_plan_set") }),
    success: async () => { await renderSites(container.closest(".page") || container.closest("main")); },
  });
  container.replaceChildren(form);
  form.querySelector("input")?.focus();
}

function newSiteForm(container, scope) {
  loadRules().then(({ vocabularies: v }) => {
    const form = frame("site", t("site_new"), [
      input("name", t("site_name"), { required: true, maxLength: 100 }),
      select("kind", t("site_kind"), "site_kinds", v.site_kinds, { value: v.site_kinds[0] }),
      input("jurisdiction", t("site_village"), { required: true, inputMode: "numeric", value: scope, maxLength: 12 }),
      input("capacity", t("site_capacity"), { type: "number", required: true, min: 1, inputMode: "numeric" }),
      input("staff.name", t("site_staff_name"), { required: true, maxLength: 50 }),
      input("staff.phone", t("site_staff_phone"), { type: "tel", required: true, maxLength: 20 }),
      input("opening_hours", t("site_opening_hours"), { required: true, maxLength: 200 }),
    ], { submitLabel: t("site_register"), onCancel: () => container.replaceChildren() });
    wire(form, {
      body: (f) => {
        const capacity = read(f, "capacity");
        return {
          name: read(f, "name"), kind: read(f, "kind"), jurisdiction: read(f, "jurisdiction"),
          capacity: capacity === null || Number.isNaN(Number(capacity)) ? capacity : Number(capacity),
          staff: { name: read(f, "staff.name"), phone: read(f, "staff.phone") },
          opening_hours: read(f, "opening_hours"),
        };
      },
      send: (body, key) => api.send("POST", "/api/v1/sites", body, { idempotencyKey: key, label: t("site_new") }),
      success: (answer) => {
        sessionStorage.setItem("careledger.flash", t("form_saved", { v: answer.data?.version ?? "" }));
        if (answer.data?.id) navigate(href("/sites/:id", { id: answer.data.id }));
      },
    });
    container.replaceChildren(form);
    form.querySelector("input")?.focus();
  });
}

export async function renderSite(view, { params }) {
  const [{ data: site, etag }] = await Promise.all([api.read(sitePath(params.id)), loadRules()]);
  await loadPlaces([site.jurisdiction.slice(0, 9), site.jurisdiction]);
  const row = (label, value, id) => [el("dt", {}, label), el("dd", { id }, value ?? "—")];
  const phone = site.staff?.phone;
  const details = el("dl", { className: "facts", id: "site-facts" },
    row(t("site_kind"), term("site_kinds", site.kind), "site-kind"),
    row(t("site_status"), term("site_statuses", site.status), "site-status"),
    row(t("site_village_name"), `${placePath(site.jurisdiction)} (${site.jurisdiction})`, "site-village"),
    row(t("site_capacity"), String(site.capacity), "site-capacity"),
    row(t("site_opening_hours"), site.opening_hours, "site-hours"),
    row(t("site_staff_name"), site.staff?.name, "site-staff"),
    [el("dt", {}, t("site_staff_phone")), el("dd", {}, phone ? el("a", { href: `tel:${phone}` }, phone) : "—")],
    row(t("site_built_on"), site.built_on, "site-built-on"),
    row(t("site_opened_on"), site.opened_on, "site-opened-on"),
    row(t("site_closed_on"), site.closed_on, "site-closed-on"),
  );
  const actions = el("div", { id: "site-actions" });
  view.replaceChildren(
    el("p", { className: "no-print" }, el("a", { href: href("/sites"), id: "to-sites" }, t("sites_title"))),
    el("h2", { id: "site-heading" }, site.name),
    details,
    actions,
  );
  if (!session.can("manage_sites")) {
    actions.append(el("p", { className: "hint" }, t("site_read_only")));
    return;
  }
  const next = NEXT[site.status] || [];
  if (!next.length) {
    actions.append(el("p", { className: "hint" }, t("site_no_moves")));
    return;
  }
  const { today } = await loadRules();
  const form = frame("site-move", t("site_move"), [
    select("status", t("site_move_to"), "site_statuses", next, { value: next[0] }),
    input("changed_on", t("site_changed_on"), { type: "date", value: today, max: today, required: true }),
  ]);
  let current = etag;
  wire(form, {
    body: (f) => ({ status: read(f, "status"), changed_on: read(f, "changed_on") }),
    send: (body, key) => api.send("POST", `${sitePath(site.id)}/transitions`, body,
      { ifMatch: current, idempotencyKey: key, label: t("site_move") }),
    success: async () => { await renderSite(view, { params }); },
    reload: async () => { current = (await api.read(sitePath(site.id))).etag; },
  });
  actions.append(form);
}
