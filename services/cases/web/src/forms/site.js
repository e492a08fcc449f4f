// A child attends a care site (关爱保护场所), or no longer does: an open site of the
// caller's scope, from a day (docs/care-sites.md). Those who record visits record it.
import { api, query } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { input, loadRules, read } from "./kit.js";
import { mountCaseForm } from "./mount.js";

export const attendSiteForm = {
  capability: "visit",
  label: "form_attend_site",
  async render(container, ctx) {
    const [{ today }, open] = await Promise.all([
      loadRules(),
      api.get(`/api/v1/sites${query({ status: "open" })}`),
    ]);
    const sites = (open.items || []).filter((s) => s.id !== ctx.case?.site_id);
    const control = el("select", { required: true },
      el("option", { value: "" }, t("form_choose")),
      ...sites.map((s) => el("option", { value: s.id }, `${s.name}（${s.village_name}）`)));
    control.id = "f-site_id";
    control.name = "site_id";
    const error = el("p", { className: "field-error", id: "f-site_id-error", hidden: true });
    control.setAttribute("aria-describedby", error.id);
    return mountCaseForm(container, ctx, {
      name: "attend_site",
      title: t("form_attend_site"),
      fields: [
        el("div", { className: "field", dataset: { field: "site_id" } },
          el("label", { htmlFor: control.id }, t("form_site")), control, error),
        input("attended_on", t("form_attended_on"), { type: "date", value: today, max: today, required: true }),
      ],
      action: "site-attendance",
      body: (f) => ({ site_id: read(f, "site_id"), attended_on: read(f, "attended_on") }),
    });
  },
};

export const leaveSiteForm = {
  capability: "visit",
  label: "form_leave_site",
  async render(container, ctx) {
    const { today } = await loadRules();
    return mountCaseForm(container, ctx, {
      name: "leave_site",
      title: t("form_leave_site"),
      fields: [input("left_on", t("form_left_on"), { type: "date", value: today, max: today, required: true })],
      action: "site-leaving",
      body: (f) => ({ left_on: read(f, "left_on") }),
    });
  },
};
