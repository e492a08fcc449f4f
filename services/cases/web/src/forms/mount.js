// Puts one case form in its container and sends it as a write on the case: POST
// /api/v1/cases/{id}/{action} with If-Match (the case's ETag as last read) and the
// intent's Idempotency-Key. After the write the case page shows the new state.
import { api } from "../api.js";
import { t } from "../i18n/index.js";
import { frame, wire } from "./kit.js";

const casePath = (id) => `/api/v1/cases/${encodeURIComponent(id)}`;

// ctx: {caseId, case, etag, done()}; spec: {name, title, fields, action(body), body(form)}.
// `action` is the path under the case (a function of the body for intervention work).
export function mountCaseForm(container, ctx, spec) {
  const form = frame(spec.name, spec.title, spec.fields, {
    submitLabel: spec.submitLabel,
    onCancel: () => container.replaceChildren(),
  });
  wire(form, {
    body: spec.body,
    paths: spec.paths,
    send: (body, key) => {
      const { path, payload } = spec.request ? spec.request(body) : { path: spec.action, payload: body };
      return api.send("POST", `${casePath(ctx.caseId)}/${path}`, payload, { ifMatch: ctx.etag, idempotencyKey: key });
    },
    success: (answer) => {
      // Offline, the write waits in the device's queue (src/offline/): no answer yet.
      if (answer.queued) {
        sessionStorage.setItem("careledger.flash", t("form_queued"));
      } else {
        ctx.etag = answer.etag;
        sessionStorage.setItem("careledger.flash", t("form_saved", { v: answer.data?.version ?? "" }));
      }
      ctx.done();
    },
    reload: async () => {
      const { data, etag } = await api.read(`${casePath(ctx.caseId)}?purpose=dashboard`);
      ctx.case = data;
      ctx.etag = etag;
    },
  });
  container.replaceChildren(form);
  form.querySelector("input, select, textarea")?.focus();
  return form;
}
