// Record a visit from a worklist row (#/cases/:id/visit): the visit form on its own page,
// for the case as last read (its ETag is the write's If-Match); done, the case page.
import { api, query } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { href, navigate } from "../router.js";
import { visitForm } from "./visit.js";

export async function renderVisitPage(view, { params }) {
  const caseId = params.id;
  const { data, etag } = await api.read(`/api/v1/cases/${encodeURIComponent(caseId)}${query({ purpose: "dashboard" })}`);
  const caseHref = href("/cases/:id", { id: caseId });
  const box = el("div", { id: "case-form" });
  view.replaceChildren(
    el("a", { href: caseHref, className: "back" }, t("back")),
    el("h2", {}, `${t("form_visit")} · ${data.child ? data.child.name : ""}`),
    box);
  await visitForm.render(box, { caseId, case: data, etag, api, t, navigate, done: () => navigate(caseHref) });
  return undefined;
}

// A message the last form left for the page it led to ("saved"), shown once.
export function flash() {
  const text = sessionStorage.getItem("careledger.flash");
  if (!text) return "";
  sessionStorage.removeItem("careledger.flash");
  return el("p", { className: "flash", id: "flash", role: "status" }, text);
}
