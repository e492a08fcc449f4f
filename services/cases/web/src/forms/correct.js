// Correct a fact recorded at identification: which fact (the server's list of
// correctable fields, and each parent the case lists), its new value, and why. The value's
// control follows the fact: a vocabulary's terms, a date, yes/no, or text.
import { el } from "../dom.js";
import { at } from "../format.js";
import { t } from "../i18n/index.js";
import { input, loadRules, read, select, term, textarea } from "./kit.js";
import { mountCaseForm } from "./mount.js";

const VOCABULARY_OF = {
  "child.sex": "sexes", "child.school.status": "school_statuses", "guardian.capacity": "capacities",
  source: "sources", status: "parent_statuses",
};
const DATES = new Set(["child.birth_date", "identified_on"]);
const PARENT_FIELDS = ["status", "work_location", "phone"];

// "parents.1.status" → its label ("母亲 · 状况"); others by their own key.
function fieldLabel(path, parents) {
  const parent = /^parents\.(\d+)\.(\w+)$/.exec(path);
  if (!parent) return t(`form_field.${path}`);
  const relation = parents[Number(parent[1])]?.relation;
  return `${term("parent_relations", relation)} · ${t(`form_field.parents.${parent[2]}`)}`;
}

function valueControl(path, v, current) {
  const vocabulary = VOCABULARY_OF[path] || VOCABULARY_OF[path.split(".").pop()];
  const hint = t("form_current_value", { v: current === null || current === undefined ? "—" : String(current) });
  if (path.startsWith("parents.") && !path.endsWith(".status")) return input("value", t("form_new_value"), { hint });
  if (vocabulary) return select("value", t("form_new_value"), vocabulary, v[vocabulary], { blank: true, hint });
  if (DATES.has(path)) return input("value", t("form_new_value"), { type: "date", hint });
  if (path === "child.hukou_registered") return select("value", t("form_new_value"), "yes_no", ["true", "false"], { blank: true, hint });
  return input("value", t("form_new_value"), { hint });
}

export const correctForm = {
  capability: "correct",
  label: "form_correct",
  async render(container, ctx) {
    const { vocabularies: v, correctable_fields: correctable } = await loadRules();
    const parents = ctx.case?.parents || [];
    const paths = [...correctable, ...parents.flatMap((_, n) => PARENT_FIELDS.map((f) => `parents.${n}.${f}`))];
    const which = el("select", { required: true },
      el("option", { value: "", selected: true }, t("form_choose")),
      paths.map((p) => el("option", { value: p }, fieldLabel(p, parents))));
    which.id = "f-field";
    which.name = "field";
    which.setAttribute("aria-describedby", "f-field-error");
    const whichBox = el("div", { className: "field", dataset: { field: "field" } },
      el("label", { htmlFor: which.id }, t("form_fact")), which,
      el("p", { className: "field-error", id: "f-field-error", hidden: true }));
    const slot = el("div", { className: "value-slot" }, valueControl("", v, null));
    const form = mountCaseForm(container, ctx, {
      name: "correct",
      title: t("form_correct"),
      fields: [whichBox, slot, textarea("reason", t("form_reason"), { required: true })],
      action: "corrections",
      body: (f) => {
        let value = read(f, "value");
        if (which.value === "child.hukou_registered" && value !== null) value = value === "true";
        return { field: read(f, "field"), value, reason: read(f, "reason") };
      },
    });
    which.addEventListener("change", () => {
      slot.replaceChildren(valueControl(which.value, v, which.value ? at(ctx.case || {}, which.value) : null));
    });
    return form;
  },
};
