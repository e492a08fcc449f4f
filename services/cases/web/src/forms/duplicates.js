// Likely duplicates (issue 11): the case holds a flag for another case that looks like the
// same child. Who answers for the township's register (capability resolve_duplicates)
// dismisses the flag (two children after all), or merges: this case closes as a duplicate
// of the other, linked both ways in their histories.
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { href } from "../router.js";
import { read } from "./kit.js";
import { mountCaseForm } from "./mount.js";

// One radio button per flagged case, each with a link to open it first.
function otherCases(current) {
  const ids = current?.likely_duplicates || [];
  const error = el("p", { className: "field-error", id: "other_case_id-error", hidden: true });
  return el("fieldset", { className: "field choices", dataset: { field: "other_case_id" }, "aria-describedby": error.id },
    el("legend", {}, t("form_duplicate_other")),
    ids.map((id, n) => el("div", { className: "choice" },
      el("label", {},
        el("input", { type: "radio", name: "other_case_id", value: id, checked: n === 0 }),
        el("span", {}, t("form_duplicate_case", { id: id.slice(0, 8) }))),
      " ",
      el("a", { href: href("/cases/:id", { id }), target: "_blank", rel: "noopener" }, t("open_case")))),
    error);
}

function duplicateForm(name, label, verb) {
  return {
    capability: "resolve_duplicates",
    label,
    async render(container, ctx) {
      return mountCaseForm(container, ctx, {
        name,
        title: t(label),
        fields: [el("p", { className: "form-hint" }, t(`${label}_hint`)), otherCases(ctx.case)],
        body: (f) => ({ other_case_id: read(f, "other_case_id") }),
        request: (body) => ({ path: `duplicates/${encodeURIComponent(body.other_case_id || "")}/${verb}`, payload: {} }),
      });
    },
  };
}

export const dismissDuplicateForm = duplicateForm("dismiss_duplicate", "form_dismiss_duplicate", "dismissal");
export const mergeDuplicateForm = duplicateForm("merge_duplicate", "form_merge_duplicate", "merge");
