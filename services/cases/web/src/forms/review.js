// Review before it counts (复核, issue 11): the township supervisor confirms what a village
// child director submitted, or returns it with a comment; the director, having corrected
// it, resubmits. Each is a write on the case like the others (If-Match, Idempotency-Key).
import { t } from "../i18n/index.js";
import { read, textarea } from "./kit.js";
import { mountCaseForm } from "./mount.js";

export const confirmReviewForm = {
  capability: "review",
  label: "form_confirm_review",
  async render(container, ctx) {
    return mountCaseForm(container, ctx, {
      name: "confirm_review",
      title: t("form_confirm_review"),
      fields: [],
      submitLabel: t("form_confirm_review"),
      action: "review/confirmation",
      body: () => ({}),
    });
  },
};

export const returnReviewForm = {
  capability: "review",
  label: "form_return_review",
  async render(container, ctx) {
    return mountCaseForm(container, ctx, {
      name: "return_review",
      title: t("form_return_review"),
      fields: [textarea("comment", t("form_review_comment"), { required: true })],
      submitLabel: t("form_return_review"),
      action: "review/return",
      body: (f) => ({ comment: read(f, "comment") }),
    });
  },
};

export const resubmitForm = {
  capability: "correct",
  label: "form_resubmit",
  async render(container, ctx) {
    return mountCaseForm(container, ctx, {
      name: "resubmit",
      title: t("form_resubmit"),
      fields: [],
      submitLabel: t("form_resubmit"),
      action: "review/resubmission",
      body: () => ({}),
    });
  },
};

// Which review form fits the case's review: confirm or return a pending one, resubmit a
// returned one; none otherwise.
export function fitsReview(name, current) {
  const status = current?.review?.status;
  if (name === "resubmit") return status === "returned";
  return status === "pending";
}
