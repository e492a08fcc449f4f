// Who holds the case and where it lives: assign to a child director, transfer to
// another village (supervisors, civil affairs); close and reopen (civil affairs); erase
// a closed case's personal data, asked by one civil-affairs officer, approved by another.
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { choices, input, loadRules, read, textarea } from "./kit.js";
import { mountCaseForm } from "./mount.js";

export const assignForm = {
  capability: "assign",
  label: "form_assign",
  async render(container, ctx) {
    return mountCaseForm(container, ctx, {
      name: "assign",
      title: t("form_assign"),
      fields: [input("assignee", t("form_assignee"), { required: true, value: ctx.case?.assigned_to || "", autocomplete: "off" })],
      action: "assignment",
      body: (f) => ({ assignee: read(f, "assignee") }),
    });
  },
};

export const transferForm = {
  capability: "transfer",
  label: "form_transfer",
  async render(container, ctx) {
    const { today } = await loadRules();
    return mountCaseForm(container, ctx, {
      name: "transfer",
      title: t("form_transfer"),
      fields: [
        input("jurisdiction", t("form_village_code"), { required: true, inputMode: "numeric", hint: t("form_village_code_hint") }),
        input("address_detail", t("form_address_detail")),
        textarea("reason", t("form_reason"), { required: true }),
        input("transferred_on", t("form_transferred_on"), { type: "date", value: today, max: today, required: true }),
      ],
      action: "transfer",
      body: (f) => ({
        jurisdiction: read(f, "jurisdiction"), address_detail: read(f, "address_detail"),
        reason: read(f, "reason"), transferred_on: read(f, "transferred_on"),
      }),
    });
  },
};

export const closeCaseForm = {
  capability: "close_case",
  label: "form_close_case",
  async render(container, ctx) {
    const { today, vocabularies: v } = await loadRules();
    return mountCaseForm(container, ctx, {
      name: "close_case",
      title: t("form_close_case"),
      fields: [
        choices("reason", t("form_closure_reason"), "closure_reasons", v.closure_reasons),
        input("closed_on", t("form_closed_on"), { type: "date", value: today, max: today, required: true }),
        textarea("note", t("form_note")),
      ],
      action: "closure",
      body: (f) => ({ reason: read(f, "reason"), closed_on: read(f, "closed_on"), note: read(f, "note") }),
    });
  },
};

export const reopenForm = {
  capability: "reopen_case",
  label: "form_reopen",
  async render(container, ctx) {
    const { today } = await loadRules();
    return mountCaseForm(container, ctx, {
      name: "reopen",
      title: t("form_reopen"),
      fields: [
        textarea("reason", t("form_reason"), { required: true }),
        input("reopened_on", t("form_reopened_on"), { type: "date", value: today, max: today, required: true }),
      ],
      action: "reopening",
      body: (f) => ({ reason: read(f, "reason"), reopened_on: read(f, "reopened_on") }),
    });
  },
};

const erasureWarning = () => el("p", { className: "form-warning", id: "erasure-warning" }, t("form_erasure_warning"));

export const requestErasureForm = {
  capability: "erase_case",
  label: "form_request_erasure",
  async render(container, ctx) {
    const { vocabularies: v } = await loadRules();
    return mountCaseForm(container, ctx, {
      name: "request_erasure",
      title: t("form_request_erasure"),
      fields: [
        erasureWarning(),
        choices("basis", t("form_erasure_basis"), "erasure_bases", v.erasure_bases),
        textarea("reason", t("form_reason"), { required: true }),
      ],
      action: "erasure",
      body: (f) => ({ basis: read(f, "basis"), reason: read(f, "reason") }),
    });
  },
};

export const approveErasureForm = {
  capability: "erase_case",
  label: "form_approve_erasure",
  async render(container, ctx) {
    return mountCaseForm(container, ctx, {
      name: "approve_erasure",
      title: t("form_approve_erasure"),
      fields: [erasureWarning()],
      action: "erasure/approval",
      body: () => ({}),
      submitLabel: t("form_approve_erasure"),
    });
  },
};

export const declineErasureForm = {
  capability: "erase_case",
  label: "form_decline_erasure",
  async render(container, ctx) {
    return mountCaseForm(container, ctx, {
      name: "decline_erasure",
      title: t("form_decline_erasure"),
      fields: [textarea("reason", t("form_reason"), { required: true })],
      action: "erasure/decline",
      body: (f) => ({ reason: read(f, "reason") }),
    });
  },
};
