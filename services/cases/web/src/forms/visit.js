// Record a visit: one screen, defaults for a typical home visit (today in China, the
// guardian present, the case's current risk level) so a usual visit is a few taps.
import { api, query } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { check, choices, input, loadRules, picker, read, textarea } from "./kit.js";
import { mountCaseForm } from "./mount.js";

// Where the visit took place: an open care site of the caller's scope (the list the
// attendance form reads, kept on the device by src/offline like every read), the one
// the child attends chosen first; empty: not at a site. Offline with no copy of the
// list, only the site she attends is offered (by its id: its name is not on the device).
async function sitePicker(attended) {
  let open = null;
  try {
    open = (await api.get(`/api/v1/sites${query({ status: "open" })}`)).items || [];
  } catch {
    open = null; // offline and never read, or refused: the visit is still recorded
  }
  const sites = open ? open.map((s) => [s.id, `${s.name}（${s.village_name}）`])
    : attended ? [[attended, t("form_visit_site_attended")]] : [];
  const chosen = sites.some(([id]) => id === attended) ? attended : "";
  return picker("site_id", t("form_visit_site"), [
    el("option", { value: "", selected: !chosen }, t("form_visit_site_none")),
    ...sites.map(([id, name]) => el("option", { value: id, selected: id === chosen }, name)),
  ]);
}

export const visitForm = {
  capability: "visit",
  label: "form_visit",
  async render(container, ctx) {
    const [{ today, vocabularies: v }, site] = await Promise.all([loadRules(), sitePicker(ctx.case?.site_id || null)]);
    const risk = ctx.case?.risk_level || "low";
    const attendance = ctx.case?.school_status === "enrolled" || !ctx.case?.school_status ? "regular" : "not_applicable";
    const fields = [
      input("visited_on", t("form_visited_on"), { type: "date", value: today, max: today, required: true }),
      choices("mode", t("form_mode"), "visit_modes", v.visit_modes, { value: "home" }),
      site,
      check("guardian_present", t("form_guardian_present"), { checked: true }),
      choices("living_conditions", t("form_living_conditions"), "living_conditions", v.living_conditions, { value: "good" }),
      choices("school_attendance", t("form_school_attendance"), "school_attendance", v.school_attendance, { value: attendance }),
      choices("emotional_state", t("form_emotional_state"), "emotional_states", v.emotional_states, { value: "stable" }),
      choices("safety_concerns", t("form_safety_concerns"), "safety_concerns", v.safety_concerns, { multiple: true }),
      choices("risk_level", t("form_risk_level"), "risk_levels", v.risk_levels, { value: risk }),
      textarea("notes", t("form_notes")),
      input("next_visit_due", t("form_next_visit_due"), { type: "date", hint: t("form_next_visit_due_hint") }),
    ];
    return mountCaseForm(container, ctx, {
      name: "visit",
      title: t("form_visit"),
      fields,
      action: "visits",
      body: (form) => ({
        visited_on: read(form, "visited_on"),
        mode: read(form, "mode"),
        guardian_present: read(form, "guardian_present"),
        living_conditions: read(form, "living_conditions"),
        school_attendance: read(form, "school_attendance"),
        emotional_state: read(form, "emotional_state"),
        safety_concerns: read(form, "safety_concerns"),
        risk_level: read(form, "risk_level"),
        notes: read(form, "notes"),
        next_visit_due: read(form, "next_visit_due"),
        // Left out when empty: a visit not at a site is stored as visits always were.
        site_id: read(form, "site_id") ?? undefined,
      }),
    });
  },
};
