// Change guardian: who now looks after the child, why, since when; for a guardian the
// parents may entrust (shared/vocabulary.py ENTRUSTABLE_GUARDIAN_TYPES, served by the
// rules), the date the entrusted-guardianship confirmation (委托监护确认书) was signed.
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { check, input, loadRules, read, select, textarea } from "./kit.js";
import { mountCaseForm } from "./mount.js";

export const guardianForm = {
  capability: "change_guardian",
  label: "form_change_guardian",
  async render(container, ctx) {
    const { today, vocabularies: v } = await loadRules();
    const entrustable = new Set(v.entrustable_guardian_types);
    // The confirmation: a tick that the parents signed it, then the date they did.
    const signed = check("entrusted", t("form_entrustment_signed"));
    const signedOn = input("entrustment_signed_on", t("form_entrustment_signed_on"),
      { type: "date", value: today, max: today, hint: t("form_entrustment_hint") });
    const entrustment = el("div", { className: "entrustment" }, signed, signedOn);
    const type = select("guardian.type", t("form_guardian_type"), "guardian_types", v.guardian_types, { value: "grandparent" });
    const fields = [
      type,
      input("guardian.name", t("form_guardian_name")),
      input("guardian.relation", t("form_guardian_relation")),
      input("guardian.phone", t("form_phone"), { type: "tel", autocomplete: "off" }),
      select("guardian.capacity", t("form_capacity"), "capacities", v.capacities, { value: "able", blank: true, required: false }),
      entrustment,
      textarea("reason", t("form_reason"), { required: true }),
      input("effective_on", t("form_effective_on"), { type: "date", value: today, max: today, required: true }),
    ];
    const form = mountCaseForm(container, ctx, {
      name: "change_guardian",
      title: t("form_change_guardian"),
      fields,
      action: "guardian-changes",
      body: (f) => {
        const guardianType = read(f, "guardian.type");
        return {
          guardian: {
            type: guardianType, name: read(f, "guardian.name"), relation: read(f, "guardian.relation"),
            phone: read(f, "guardian.phone"), capacity: read(f, "guardian.capacity"),
          },
          reason: read(f, "reason"),
          effective_on: read(f, "effective_on"),
          entrustment_signed_on: entrustable.has(guardianType) && read(f, "entrusted") ? read(f, "entrustment_signed_on") : null,
        };
      },
    });
    // The confirmation applies only to a guardian the parents may entrust.
    const typeControl = type.querySelector("select");
    const tick = signed.querySelector("input");
    const sync = () => {
      entrustment.hidden = !entrustable.has(typeControl.value);
      signedOn.hidden = !tick.checked;
    };
    typeControl.addEventListener("change", sync);
    tick.addEventListener("change", sync);
    sync();
    return form;
  },
};
