// The registry of forms. Each entry: {capability, label, render(container, ctx)}:
// `capability` is the server's name of what the role may do (shared/roles.py: "visit",
// "change_guardian"…), `label` a dictionary key, `render` draws the form into
// `container` with ctx = {caseId, case, etag, api, t, navigate, done()}.
// The case page shows one action button per entry the user's role allows.
import { guardianForm } from "./guardian.js";
import { closeInterventionForm, openInterventionForm, progressInterventionForm } from "./intervention.js";
import {
  approveErasureForm, assignForm, closeCaseForm, declineErasureForm, reopenForm, requestErasureForm, transferForm,
} from "./lifecycle.js";
import { correctForm } from "./correct.js";
import { dismissDuplicateForm, mergeDuplicateForm } from "./duplicates.js";
import { confirmReviewForm, fitsReview, resubmitForm, returnReviewForm } from "./review.js";
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
  dismiss_duplicate: dismissDuplicateForm,
  merge_duplicate: mergeDuplicateForm,
  request_erasure: requestErasureForm,
  approve_erasure: approveErasureForm,
  decline_erasure: declineErasureForm,
  confirm_review: confirmReviewForm,
  return_review: returnReviewForm,
  resubmit: resubmitForm,
};
const REVIEW_FORMS = new Set(["confirm_review", "return_review", "resubmit"]);

const ERASURE = new Set(["request_erasure", "approve_erasure", "decline_erasure"]);

// Which forms fit a case's state: an active case everything but reopening and erasure;
// a closed one reopening, or the erasure step its state waits for (approval by anyone
// but who asked: `me` is the user's name); an erased one nothing. The review forms fit
// only the review they act on (forms/review.js).
export function fits(name, current, me) {
  if (current?.erasure) return false;
  if (REVIEW_FORMS.has(name)) return fitsReview(name, current);
  if (!current) return true;
  if (name === "leave_site" && !current.site_id) return false; // attends no site
  // Only a case flagged as a likely duplicate, still active, has a flag to resolve.
  if (name === "dismiss_duplicate" || name === "merge_duplicate") {
    return current.status === "active" && (current.likely_duplicates || []).length > 0;
  }
  if (current.status !== "closed") return name !== "reopen" && !ERASURE.has(name);
  const waiting = current.erasure_request;
  if (waiting) return name === "decline_erasure" || (name === "approve_erasure" && waiting.requested_by !== me);
  return name === "reopen" || name === "request_erasure";
}
