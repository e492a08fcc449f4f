// What every form shares: fields built from the server's vocabularies (GET /api/v1/rules,
// fetched once), a submit that sends through api.send with If-Match and one
// Idempotency-Key per user intent, and refusals shown where the user can act on them:
// a 422's reasons beside their fields, a 412 with the case reloaded for a resend.
import { api, ApiError } from "../api.js";
import { el } from "../dom.js";
import { refusalReason, t } from "../i18n/index.js";
import { reasonKey } from "../i18n/forms.js";

let rules = null;
// The vocabularies, correctable fields, today (China) and the eligibility terms.
export function loadRules() {
  if (!rules) rules = api.get("/api/v1/rules").catch((failure) => { rules = null; throw failure; });
  return rules;
}

// A term of a vocabulary in the user's language ("guardian_types", "grandparent").
export const term = (vocabulary, value) => t(`v.${vocabulary}.${value}`);

// A fresh key for one user intent (the offline queue resends it as it is).
export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `k-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

// The id of a field's control and of its error line, from its dotted path.
const idOf = (path) => `f-${path.replace(/[^a-zA-Z0-9_-]/g, "-")}`;

// One labelled field: {path, label, control}, its error line below it.
function field(path, label, control, { hint } = {}) {
  control.id = idOf(path);
  control.name = path;
  const error = el("p", { className: "field-error", id: `${idOf(path)}-error`, hidden: true });
  const described = [hint ? `${idOf(path)}-hint` : null, error.id].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", described);
  return el("div", { className: "field", dataset: { field: path } },
    el("label", { htmlFor: control.id }, label),
    hint ? el("p", { className: "hint", id: `${idOf(path)}-hint` }, hint) : null,
    control, error);
}

export function input(path, label, { type = "text", value = "", required = false, hint, ...rest } = {}) {
  return field(path, label, el("input", { type, value: value ?? "", required, ...rest }), { hint });
}

export function textarea(path, label, { value = "", required = false, hint } = {}) {
  return field(path, label, el("textarea", { value: value ?? "", required, rows: 3 }), { hint });
}

// A drop-down of options made elsewhere (records of the service, not a vocabulary).
export function picker(path, label, options, { hint } = {}) {
  return field(path, label, el("select", {}, options), { hint });
}

// A drop-down of a vocabulary's terms (with an empty first choice when `blank`).
export function select(path, label, vocabulary, terms, { value, blank = false, required = true, hint } = {}) {
  const options = terms.map((v) => el("option", { value: v, selected: v === value }, term(vocabulary, v)));
  if (blank) options.unshift(el("option", { value: "", selected: !value }, t("form_choose")));
  return field(path, label, el("select", { required }, options), { hint });
}

// Big touch targets for a few terms: one radio button each, in a fieldset.
export function choices(path, legend, vocabulary, terms, { value, multiple = false } = {}) {
  const error = el("p", { className: "field-error", id: `${idOf(path)}-error`, hidden: true });
  return el("fieldset", { className: "field choices", dataset: { field: path }, "aria-describedby": error.id },
    el("legend", {}, legend),
    terms.map((v) => el("label", { className: "choice" },
      el("input", { type: multiple ? "checkbox" : "radio", name: path, value: v,
        checked: multiple ? (value || []).includes(v) : v === value }),
      el("span", {}, term(vocabulary, v)))),
    error);
}

// A yes/no switch as one checkbox.
export function check(path, label, { checked = false } = {}) {
  const control = el("input", { type: "checkbox", checked });
  control.id = idOf(path);
  control.name = path;
  const error = el("p", { className: "field-error", id: `${idOf(path)}-error`, hidden: true });
  control.setAttribute("aria-describedby", error.id);
  return el("div", { className: "field check", dataset: { field: path } },
    el("label", { className: "choice", htmlFor: control.id }, control, el("span", {}, label)), error);
}

// Form values: text (trimmed, "" → null), radio, checkbox list, checkbox flag.
export function read(form, path) {
  const controls = [...form.elements].filter((c) => c.name === path);
  if (!controls.length) return undefined;
  const first = controls[0];
  if (first.type === "radio") return controls.find((c) => c.checked)?.value ?? null;
  if (first.type === "checkbox" && controls.length > 1) return controls.filter((c) => c.checked).map((c) => c.value);
  if (first.type === "checkbox" && first.closest(".choices")) return first.checked ? [first.value] : [];
  if (first.type === "checkbox") return first.checked;
  const text = first.value.trim();
  return text === "" ? null : text;
}

// A server's reason in the user's language when it is one we know, else as it was said.
export function reasonText(reason) {
  const known = reasonKey(reason);
  return known ? t(known.key, known.vars) : reason;
}

function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((p) => { p.hidden = true; p.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
  form.querySelector(".form-status").textContent = "";
}

// The field a dotted error path belongs to: itself, else its nearest shown parent
// ("parents.0.work_location" → "parents.0" → "parents").
function fieldFor(form, path) {
  const parts = path.split(".");
  while (parts.length) {
    const found = form.querySelector(`[data-field="${CSS.escape(parts.join("."))}"]`);
    if (found) return found;
    parts.pop();
  }
  return null;
}

// A 422's reasons beside their fields; focus goes to the first. Reasons for fields the
// form does not show are listed in its status line.
export function showErrors(form, fields, { paths = {} } = {}) {
  const unplaced = [];
  let first = null;
  for (const [rawPath, reasons] of Object.entries(fields)) {
    const path = paths[rawPath] || rawPath.replace(/^json\./, "");
    const box = fieldFor(form, path);
    const text = reasons.map(reasonText).join(" ");
    if (!box) { unplaced.push(text); continue; }
    const line = box.querySelector(":scope > .field-error");
    line.hidden = false;
    line.textContent = line.textContent ? `${line.textContent} ${text}` : text;
    box.querySelectorAll("input, select, textarea").forEach((c) => c.setAttribute("aria-invalid", "true"));
    first = first || box.querySelector("input, select, textarea");
  }
  const status = form.querySelector(".form-status");
  status.textContent = [t("error_422"), ...unplaced].join(" · ");
  (first || status).focus?.();
}

// The form's frame: heading, fields, submit and cancel, a status line read out to
// screen readers. `onSubmit(form)` sends; it may throw ApiError.
export function frame(name, title, body, { submitLabel, onCancel } = {}) {
  const status = el("p", { className: "form-status error", role: "alert", tabIndex: -1 });
  const form = el("form", { className: "case-form", id: `form-${name}`, noValidate: true, dataset: { form: name } },
    el("h3", {}, title), body,
    el("div", { className: "form-buttons" },
      el("button", { type: "submit", className: "primary" }, submitLabel || t("form_submit")),
      onCancel ? el("button", { type: "button", className: "cancel", on: { click: onCancel } }, t("form_cancel")) : null),
    status);
  return form;
}

// Wires a form's submit: builds the body with `body(form)`, sends it with `send(body,
// key, etag)` and hands the answer to `success`. The Idempotency-Key stays the same while
// the user resends the same body (a lost answer, a network failure: the server replays,
// never writes twice) and changes when she changes it. A 412 reloads the case with
// `reload()` (its new ETag) and asks her to look and resend.
export function wire(form, { body, send, success, reload, paths }) {
  let key = null;
  let sent = null;
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    clearErrors(form);
    const payload = body(form);
    const text = JSON.stringify(payload);
    if (text !== sent) { key = newKey(); sent = text; }
    const button = form.querySelector("button[type=submit]");
    busy = true;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const answer = await send(payload, key);
      await success(answer);
    } catch (failure) {
      if (!(failure instanceof ApiError)) throw failure;
      // A refusal wrote nothing: the next submit is a new intent.
      if ([403, 404, 409, 412, 422].includes(failure.status)) sent = null;
      refuse(form, failure, { reload, paths });
    } finally {
      busy = false;
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
}

async function refuse(form, failure, { reload, paths }) {
  const status = form.querySelector(".form-status");
  if (failure.status === 422 && Object.keys(failure.fields).length) {
    showErrors(form, failure.fields, { paths });
    return;
  }
  const say = (key, extra) => {
    status.textContent = extra ? `${t(key)}: ${reasonText(extra)}` : t(key);
    status.focus();
  };
  if (failure.status === 412) {
    say("form_stale");
    if (reload) await reload();
    form.dataset.reloaded = "true";
    return;
  }
  if (failure.status === 0) { say("error_network"); return; }
  const known = [403, 404, 409, 422, 429, 503].includes(failure.status);
  say(known ? `error_${failure.status}` : "load_failed", refusalReason(failure));
}

