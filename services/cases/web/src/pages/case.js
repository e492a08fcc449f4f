// One case (#/cases/:id, ?version=N for its state at a version): the timeline of its
// history and its state, now or then; one action button per form the role allows.
import { api, query, session } from "../api.js";
import { el } from "../dom.js";
import { chinaTime, word } from "../format.js";
import { fits, FORMS } from "../forms/index.js";
import { flash } from "../forms/visit_page.js";
import { eventLabel, t } from "../i18n/index.js";
import { href, navigate } from "../router.js";

const PURPOSE = "dashboard";

function stateList(c) {
  const fields = {
    version: c.version, status: `status_${c.status}`, jurisdiction: c.jurisdiction,
    guardian_type: c.guardian_type, risk_level: c.risk_level || "unassessed",
    last_visit_on: c.last_visit_on, next_visit_due: c.next_visit_due,
    school_status: c.school_status, assigned_to: c.assigned_to, open_interventions: c.open_interventions,
  };
  return Object.entries(fields).flatMap(([key, value]) => [el("dt", {}, t(key)), el("dd", {}, word(value))]);
}

function actions(caseId, current, etag, container) {
  const allowed = Object.entries(FORMS).filter(([name, form]) => session.can(form.capability) && fits(name, current));
  if (!allowed.length) return null;
  return el("div", { className: "actions", id: "case-actions" }, allowed.map(([name, form]) =>
    el("button", {
      type: "button", dataset: { form: name },
      on: { click: () => form.render(container, { caseId, case: current, etag, api, t, navigate, done: () => navigate(href("/cases/:id", { id: caseId })) }) },
    }, t(form.label))));
}

export async function renderCase(view, { params, query: q }) {
  const caseId = params.id;
  const version = q.version;
  const [{ data: current, etag }, history] = await Promise.all([
    api.read(`/api/v1/cases/${encodeURIComponent(caseId)}${query({ purpose: PURPOSE })}`),
    api.get(`/api/v1/cases/${encodeURIComponent(caseId)}/history${query({ purpose: PURPOSE })}`),
  ]);
  const shown = version
    ? await api.get(`/api/v1/cases/${encodeURIComponent(caseId)}${query({ version, purpose: PURPOSE })}`)
    : current;
  const event = version ? history.events.find((e) => String(e.version) === String(version)) : null;
  const timeline = el("ol", { className: "timeline", id: "timeline", "aria-label": t("timeline") },
    history.events.map((e) => el("li", { dataset: { version: e.version }, className: String(e.version) === String(version) ? "current" : "" },
      el("a", { href: href("/cases/:id", { id: caseId }, { version: e.version }), "aria-current": String(e.version) === String(version) ? "true" : null },
        `v${e.version} · ${eventLabel(e.type)} · ${chinaTime(e.occurred_at)} · ${e.actor?.username || ""}`))));
  const formBox = el("div", { id: "case-form" });
  view.replaceChildren(
    el("a", { href: "#/", className: "back", id: "back" }, t("back")),
    el("h2", { id: "case-title" }, `${t("case")} ${current.child ? current.child.name : ""} · ${current.jurisdiction}`),
    flash(),
    actions(caseId, current, etag, formBox) || "",
    formBox,
    el("p", { id: "case-when" }, event
      ? t("state_at", { v: event.version, t: chinaTime(event.occurred_at).slice(0, 10) })
      : t("state_now")),
    el("div", { className: "case-grid" }, timeline, el("dl", { className: "state", id: "case-state" }, stateList(shown))),
  );
  return undefined;
}
