// The registry of forms. Each entry: {capability, label, render(container, ctx)}:
// `capability` is the server's name of what the role may do (shared/roles.py: "visit",
// "change_guardian"…), `label` a dictionary key, `render` draws the form into
// `container` with ctx = {caseId, case, etag, api, t, navigate, done()}.
// The case page shows one action button per entry the user's role allows.
export const FORMS = {};
