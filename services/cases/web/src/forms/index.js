// The registry of forms. Each entry: {capability, label, render(container, ctx)}:
// `capability` is the server's name of what the role may do (shared/roles.py: "visit",
// "change_guardian"…), `label` a dictionary key, `render` draws the form into
// `container` with ctx = {caseId, case, etag, api, t, navigate, done()}.
// The case page shows one action button per entry the user's role allows.
import { guardianForm } from "./guardian.js";
import { closeInterventionForm, openInterventionForm, progressInterventionForm } from "./intervention.js";
import { assignForm, closeCaseForm, reopenForm, transferForm } from "./lifecycle.js";
import { correctForm } from "./correct.js";
import { schoolForm } from "./school.js";
import { attendSiteForm, leaveSiteForm } from "./site.js";
import { visitForm } from "./visit.js";

export const FORMS = {
  visit: visitForm,
  change_guardian: guardianForm,
  school_change: schoolForm,
  attend_site: attendSiteForm,
  leave_site: leaveSiteForm,
  open_intervention: openInterventionForm,
  progress_intervention: progressInterventionForm,
  close_intervention: closeInterventionForm,
  assign: assignForm,
  transfer: transferForm,
  close_case: closeCaseForm,
  reopen: reopenForm,
  correct: correctForm,
};

// Which forms fit a case's state: a closed case can only be reopened; an open one not.
export function fits(name, current) {
  if (!current) return true;
  if (name === "leave_site" && !current.site_id) return false; // attends no site
  return current.status === "closed" ? name === "reopen" : name !== "reopen";
}
