// The register (#/register): a township's survey spreadsheet (摸底排查表) imported through
// the same use cases as the API (POST /api/v1/imports/survey), first as a dry run that
// writes nothing and says, row by row, what would be created, what is refused and why
// (column and reason, in Chinese), and which rows look like registered children; then for
// real. Beside it: the template, and the register in scope exported to Excel.
// Supervisors and civil affairs (capability import_survey); online only.
import { api, ApiError, query, session } from "../api.js";
import { el } from "../dom.js";
import { refusalReason, t } from "../i18n/index.js";
import { href } from "../router.js";
import { saveFile } from "../save.js";


function problems(list) {
  return (list || []).map((p) => `${p.column}: ${p.message}`).join("；");
}

function reportTable(report) {
  const rows = report.rows.filter((r) => r.outcome !== "created" || r.likely_duplicates.length);
  const shown = rows.length ? rows : report.rows;
  return el("div", { className: "table-wrap", role: "region", tabIndex: 0, "aria-labelledby": "import-summary" },
    el("table", { id: "import-report" },
      el("thead", {}, el("tr", {},
        ...["register_row", "register_outcome", "register_problems", "register_duplicates"].map((k) => el("th", { scope: "col" }, t(k))))),
      el("tbody", {}, ...shown.map((r) => el("tr", { dataset: { outcome: r.outcome } },
        el("td", {}, String(r.row)),
        el("td", {}, r.case_id
          ? el("a", { href: href("/cases/:id", { id: r.case_id }) }, t(`outcome_${r.outcome}`))
          : t(`outcome_${r.outcome}`)),
        el("td", {}, problems(r.problems)),
        el("td", {}, problems(r.likely_duplicates)))))));
}

export async function renderRegister(view) {
  const scope = session.user.scope;
  const status = el("p", { id: "import-status", role: "status", "aria-live": "polite" });
  const report = el("div", { id: "import-result" });
  const file = el("input", { type: "file", name: "file", id: "import-file", accept: ".xlsx,.csv", required: true });
  const scopeInput = el("input", { name: "scope", id: "import-scope", value: scope, inputMode: "numeric", autocomplete: "off" });
  const buttons = [
    el("button", { type: "submit", value: "dry", id: "import-dry-run", className: "primary" }, t("register_dry_run")),
    el("button", { type: "submit", value: "import", id: "import-run" }, t("register_import")),
  ];
  const form = el("form", { id: "import-form", className: "case-form", noValidate: true },
    el("label", { className: "field" }, el("span", {}, t("register_file")), file),
    el("label", { className: "field" }, el("span", {}, t("register_scope")), scopeInput),
    el("div", { className: "form-buttons" }, ...buttons));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const dryRun = event.submitter?.value !== "import";
    const chosen = file.files?.[0];
    if (!chosen) { status.textContent = t("register_choose_file"); file.focus(); return; }
    if (!navigator.onLine) { status.textContent = t("register_offline"); return; }
    const where = scopeInput.value.trim() || scope;
    if (!dryRun && !window.confirm(t("register_confirm", { name: chosen.name, scope: where }))) return;
    buttons.forEach((b) => { b.disabled = true; });
    status.textContent = t("register_working");
    report.replaceChildren();
    try {
      const { data } = await api.upload(`/api/v1/imports/survey${query({ dry_run: dryRun, scope: where })}`, chosen);
      status.textContent = "";
      report.replaceChildren(el("p", { id: "import-summary" }, data.summary), reportTable(data));
    } catch (error) {
      const reason = error instanceof ApiError ? refusalReason(error) || error.detail : String(error);
      status.textContent = reason;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  view.replaceChildren(
    el("h2", { id: "register-heading" }, t("register_title")),
    el("p", {}, t("register_intro")),
    el("div", { className: "actions", id: "register-downloads" },
      el("button", { type: "button", id: "download-template", on: { click: () => saveFile("/api/v1/imports/survey/template", "survey-template.xlsx") } }, t("register_template")),
      el("button", { type: "button", id: "export-register", on: { click: () => saveFile(`/api/v1/register.xlsx${query({ scope })}`, `register-${scope}.xlsx`) } }, t("register_export"))),
    form, status, report,
  );
  return undefined;
}
