// A school change (控辍保学): enrolled, returned or dropped out, on a date.
import { t } from "../i18n/index.js";
import { choices, input, loadRules, read, textarea } from "./kit.js";
import { mountCaseForm } from "./mount.js";

export const schoolForm = {
  capability: "visit", // those who record visits record school changes (application.py)
  label: "form_school_change",
  async render(container, ctx) {
    const { today, vocabularies: v } = await loadRules();
    return mountCaseForm(container, ctx, {
      name: "school_change",
      title: t("form_school_change"),
      fields: [
        choices("change", t("form_school_change_kind"), "school_changes", v.school_changes, { value: "returned" }),
        input("changed_on", t("form_changed_on"), { type: "date", value: today, max: today, required: true }),
        input("school_name", t("form_school_name"), { value: ctx.case?.child?.school?.name || "" }),
        input("grade", t("form_grade"), { value: ctx.case?.child?.school?.grade || "" }),
        textarea("note", t("form_note")),
      ],
      action: "school-changes",
      body: (f) => ({
        change: read(f, "change"), changed_on: read(f, "changed_on"), school_name: read(f, "school_name"),
        grade: read(f, "grade"), note: read(f, "note"),
      }),
    });
  },
};
