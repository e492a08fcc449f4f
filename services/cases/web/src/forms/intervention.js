// An intervention's life: open one (kind, department, urgency, what is to be done, due
// date), record progress on an open one, close it with its outcome.
import { session } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { input, loadRules, read, select, term, textarea } from "./kit.js";
import { mountCaseForm } from "./mount.js";

// The open interventions of the case, as choices: "kind · department · opened on".
function openOnes(ctx) {
  return (ctx.case?.interventions || []).filter((i) => i.status === "open");
}

function pick(ctx) {
  const options = openOnes(ctx).map((i) => el("option", { value: i.intervention_id },
    `${term("intervention_kinds", i.kind)} · ${term("departments", i.department)} · ${i.opened_on}`));
  const control = el("select", { id: "f-intervention_id", name: "intervention_id", required: true }, options);
  return el("div", { className: "field", dataset: { field: "intervention_id" } },
    el("label", { htmlFor: control.id }, t("form_intervention")), control,
    el("p", { className: "field-error", id: "f-intervention_id-error", hidden: true }));
}

function noneOpen(container) {
  container.replaceChildren(el("p", { className: "form-status", role: "status" }, t("form_no_open_intervention")));
  return null;
}

export const openInterventionForm = {
  capability: "open_intervention",
  label: "form_open_intervention",
  async render(container, ctx) {
    const { today, vocabularies: v } = await loadRules();
    const own = v.departments.includes(session.user?.role) ? session.user.role : "civil_affairs";
    return mountCaseForm(container, ctx, {
      name: "open_intervention",
      title: t("form_open_intervention"),
      fields: [
        select("kind", t("form_intervention_kind"), "intervention_kinds", v.intervention_kinds, { blank: true }),
        select("department", t("form_department"), "departments", v.departments, { value: own }),
        select("urgency", t("form_urgency"), "urgencies", v.urgencies, { value: "routine" }),
        textarea("description", t("form_description"), { required: true }),
        input("opened_on", t("form_opened_on"), { type: "date", value: today, max: today, required: true }),
        input("due_by", t("form_due_by"), { type: "date" }),
      ],
      action: "interventions",
      body: (f) => ({
        kind: read(f, "kind"), department: read(f, "department"), urgency: read(f, "urgency"),
        description: read(f, "description"), opened_on: read(f, "opened_on"), due_by: read(f, "due_by"),
      }),
    });
  },
};

export const progressInterventionForm = {
  capability: "work_intervention",
  label: "form_progress_intervention",
  async render(container, ctx) {
    if (!openOnes(ctx).length) return noneOpen(container);
    const { today } = await loadRules();
    return mountCaseForm(container, ctx, {
      name: "progress_intervention",
      title: t("form_progress_intervention"),
      fields: [
        pick(ctx),
        textarea("note", t("form_progress_note"), { required: true }),
        input("progressed_on", t("form_progressed_on"), { type: "date", value: today, max: today, required: true }),
      ],
      body: (f) => ({ intervention_id: read(f, "intervention_id"), note: read(f, "note"), progressed_on: read(f, "progressed_on") }),
      request: ({ intervention_id: iid, ...payload }) => ({ path: `interventions/${encodeURIComponent(iid)}/progress`, payload }),
    });
  },
};

export const closeInterventionForm = {
  capability: "work_intervention",
  label: "form_close_intervention",
  async render(container, ctx) {
    if (!openOnes(ctx).length) return noneOpen(container);
    const { today } = await loadRules();
    return mountCaseForm(container, ctx, {
      name: "close_intervention",
      title: t("form_close_intervention"),
      fields: [
        pick(ctx),
        textarea("outcome", t("form_outcome"), { required: true }),
        input("closed_on", t("form_closed_on"), { type: "date", value: today, max: today, required: true }),
      ],
      body: (f) => ({ intervention_id: read(f, "intervention_id"), outcome: read(f, "outcome"), closed_on: read(f, "closed_on") }),
      request: ({ intervention_id: iid, ...payload }) => ({ path: `interventions/${encodeURIComponent(iid)}/closure`, payload }),
    });
  },
};
