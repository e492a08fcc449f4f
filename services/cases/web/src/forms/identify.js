// Identify a child (#/identify): the child, the address, both parents, the guardian, the
// source. Before submitting, the eligibility rule is explained with the server's own terms
// (GET /api/v1/rules) and the form's answer is asked of the server's own check (GET
// /api/v1/rules/eligibility), so what the form says is what identify will decide.
import { api, query, session } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { href, navigate } from "../router.js";
import { check, frame, input, loadRules, read, reasonText, select, term, textarea, wire } from "./kit.js";

const PARENTS = ["father", "mother"];

function ruleText(rules) {
  const unable = rules.eligibility.parent_unable_statuses.map((s) => term("parent_statuses", s)).join(t("form_list_separator"));
  return t("form_eligibility_rule", { age: rules.eligibility.age_limit_years, unable });
}

function parentFields(n, relation, v) {
  return el("fieldset", { className: "group", dataset: { field: `parents.${n}` } },
    el("legend", {}, term("parent_relations", relation)),
    select(`parents.${n}.status`, t("form_parent_status"), "parent_statuses", v.parent_statuses, { value: "working_away" }),
    input(`parents.${n}.work_location`, t("form_work_location")),
    input(`parents.${n}.phone`, t("form_phone"), { type: "tel", autocomplete: "off" }),
    el("p", { className: "field-error", id: `f-parents-${n}-error`, hidden: true }));
}

function body(form) {
  const school = read(form, "child.school.status");
  return {
    child: {
      name: read(form, "child.name"), sex: read(form, "child.sex"), birth_date: read(form, "child.birth_date"),
      id_number: read(form, "child.id_number"), hukou_registered: read(form, "child.hukou_registered"),
      school: school ? { status: school, name: read(form, "child.school.name"), grade: read(form, "child.school.grade") } : null,
      health: read(form, "child.health"), disability: null,
    },
    address: { jurisdiction: read(form, "address.jurisdiction"), detail: read(form, "address.detail") },
    parents: PARENTS.map((relation, n) => ({
      relation, status: read(form, `parents.${n}.status`),
      work_location: read(form, `parents.${n}.work_location`), phone: read(form, `parents.${n}.phone`),
    })),
    guardian: {
      type: read(form, "guardian.type"), name: read(form, "guardian.name"), relation: read(form, "guardian.relation"),
      phone: read(form, "guardian.phone"), capacity: read(form, "guardian.capacity"),
    },
    source: read(form, "source"),
    identified_on: read(form, "identified_on"),
  };
}

// Asks the server whether the child as entered is left behind; shows its answer.
async function verdict(form, box) {
  const birth = read(form, "child.birth_date");
  if (!birth) { box.textContent = t("form_eligibility_waiting"); box.className = "verdict"; return; }
  const q = { birth_date: birth, on: read(form, "identified_on"), father: read(form, "parents.0.status"), mother: read(form, "parents.1.status") };
  try {
    const answer = await api.get(`/api/v1/rules/eligibility${query(q)}`);
    box.className = answer.eligible ? "verdict yes" : "verdict no";
    box.textContent = answer.eligible ? t("form_eligible") : `${t("form_not_eligible")}: ${reasonText(answer.reason)}`;
  } catch {
    box.className = "verdict";
    box.textContent = t("form_eligibility_unknown");
  }
}

export async function renderIdentify(view) {
  const rules = await loadRules();
  const { today, vocabularies: v } = rules;
  const scope = session.user?.scope || "";
  const verdictBox = el("p", { className: "verdict", id: "eligibility-verdict", role: "status", "aria-live": "polite" });
  const fields = [
    el("section", { className: "rule", id: "eligibility-rule", "aria-labelledby": "rule-title" },
      el("h4", { id: "rule-title" }, t("form_eligibility_title")), el("p", {}, ruleText(rules)), verdictBox),
    el("fieldset", { className: "group" }, el("legend", {}, t("form_child")),
      input("child.name", t("form_child_name"), { required: true, autocomplete: "off" }),
      select("child.sex", t("form_sex"), "sexes", v.sexes, { blank: true }),
      input("child.birth_date", t("form_birth_date"), { type: "date", max: today, required: true }),
      input("child.id_number", t("form_id_number"), { autocomplete: "off" }),
      check("child.hukou_registered", t("form_hukou_registered"), { checked: true }),
      select("child.school.status", t("form_school_status"), "school_statuses", v.school_statuses, { value: "enrolled" }),
      input("child.school.name", t("form_school_name")),
      input("child.school.grade", t("form_grade")),
      textarea("child.health", t("form_health"))),
    el("fieldset", { className: "group" }, el("legend", {}, t("form_address")),
      input("address.jurisdiction", t("form_village_code"), { value: scope.length === 12 ? scope : "", inputMode: "numeric", required: true, hint: t("form_village_code_hint") }),
      input("address.detail", t("form_address_detail"), { required: true })),
    el("div", { className: "field parents", dataset: { field: "parents" } },
      el("p", { className: "field-error", id: "f-parents-error", role: "alert", hidden: true }),
      PARENTS.map((relation, n) => parentFields(n, relation, v))),
    el("fieldset", { className: "group" }, el("legend", {}, t("form_guardian")),
      select("guardian.type", t("form_guardian_type"), "guardian_types", v.guardian_types, { value: "grandparent" }),
      input("guardian.name", t("form_guardian_name")),
      input("guardian.relation", t("form_guardian_relation")),
      input("guardian.phone", t("form_phone"), { type: "tel", autocomplete: "off" }),
      select("guardian.capacity", t("form_capacity"), "capacities", v.capacities, { value: "able", blank: true, required: false })),
    select("source", t("form_source"), "sources", v.sources, { value: "survey" }),
    input("identified_on", t("form_identified_on"), { type: "date", value: today, max: today, required: true }),
  ];
  const form = frame("identify", t("form_identify"), fields, { onCancel: () => navigate("#/") });
  form.addEventListener("change", (event) => {
    if (/^(child\.birth_date|identified_on|parents\.\d\.status)$/.test(event.target.name)) verdict(form, verdictBox);
  });
  wire(form, {
    body,
    send: (payload, key) => api.send("POST", "/api/v1/cases", payload, { idempotencyKey: key }),
    success: (answer) => {
      // Offline, the identification waits in the device's queue: the case has no id yet.
      if (answer.queued) {
        sessionStorage.setItem("careledger.flash", t("form_queued"));
        navigate("#/children");
        return;
      }
      sessionStorage.setItem("careledger.flash", t("form_identified"));
      navigate(href("/cases/:id", { id: answer.data.id }));
    },
  });
  view.replaceChildren(el("a", { href: "#/", className: "back" }, t("back")), form);
  verdict(form, verdictBox);
  return undefined;
}
