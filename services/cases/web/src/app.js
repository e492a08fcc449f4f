// The CareLedger web app: boot and layout. The header (who, language, the notification
// bell's slot, the offline queue's status, logout), the login form, and the page of the
// current address from the registry in pages/index.js.
import "./styles.css";
import { api, ApiError, onSessionEnded, session } from "./api.js";
import { $, el } from "./dom.js";
import { lang, onLangChange, refusalReason, setLang, t } from "./i18n/index.js";
import { startBell, stopBell } from "./bell.js";
import { startOffline } from "./offline/index.js";
import { home, PAGES } from "./pages/index.js";
import { location, match, navigate, startRouter } from "./router.js";

let leave = null; // the current page's clean-up
let rendering = 0;

// A failure as the user reads it: the server's reason when it gave one, in her language.
export function describe(error) {
  if (error instanceof ApiError) {
    if (error.status === 0) return t("error_network");
    const general = t(`error_${error.status}`);
    const reason = refusalReason(error);
    return reason && error.status !== 401 ? `${general}: ${reason}` : general;
  }
  return error?.message || String(error);
}

function layout() {
  const app = $("#app");
  app.replaceChildren(
    el("a", { className: "skip", href: "#view", id: "skip" }, t("skip_to_content")),
    el("header", {},
      el("h1", { id: "app-title" }, t("title")),
      el("nav", { "aria-label": "CareLedger" },
        el("span", { id: "who" }),
        el("a", { id: "identify-link", href: "#/identify", hidden: true }),
        el("span", { id: "queue-status", role: "status", "aria-live": "polite" }),
        el("span", { id: "bell-slot" }),
        el("button", { type: "button", id: "lang", lang: lang() === "zh-CN" ? "en" : "zh-CN" }, t("switch")),
        el("button", { type: "button", id: "logout", hidden: true }, t("logout")))),
    el("nav", { id: "menu", className: "menu", "aria-label": t("main_nav") }),
    el("main", { id: "view", tabIndex: -1 }),
    el("p", { className: "error", id: "error", role: "alert" }),
  );
  $("#lang").addEventListener("click", () => setLang(lang() === "zh-CN" ? "en" : "zh-CN"));
  $("#logout").addEventListener("click", async () => {
    if ((await api.logout()) === false) return; // writes still waiting: she stayed
    stopBell();
    showLogin();
  });
}

function frame() {
  document.documentElement.lang = lang();
  document.title = t("page_title");
  $("#app-title").textContent = t("title");
  $("#lang").textContent = t("switch");
  $("#lang").lang = lang() === "zh-CN" ? "en" : "zh-CN";
  $("#logout").textContent = t("logout");
  $("#skip").textContent = t("skip_to_content");
  const user = session.user;
  menu(user);
  $("#who").textContent = user ? user.display_name || user.username : "";
  $("#logout").hidden = !user;
  $("#identify-link").textContent = t("form_identify");
  $("#identify-link").hidden = !session.can("identify");
}

// The main menu: the pages of the registry with a `nav` entry the user's role may see.
function menu(user) {
  const nav = $("#menu");
  nav.hidden = !user;
  nav.setAttribute("aria-label", t("main_nav"));
  if (!user) { nav.replaceChildren(); return; }
  const here = location().path;
  nav.replaceChildren(...PAGES.filter((p) => p.nav && (!p.nav.roles || p.nav.roles(user.role))).map((p) => {
    const address = p.nav.href();
    const current = here.split("/")[1] === address.replace(/^#\//, "").split("/")[0];
    return el("a", { href: address, "aria-current": current ? "page" : null, dataset: { nav: p.title } }, t(p.nav.label));
  }));
}

function showLogin(message = "") {
  if (leave) { leave(); leave = null; }
  frame();
  const error = el("p", { className: "error", id: "login-error", role: "alert" }, message);
  const form = el("form", { id: "login-form" },
    el("h2", {}, t("login")),
    el("label", {}, el("span", {}, t("username")), el("input", { name: "username", autocomplete: "username", required: true })),
    el("label", {}, el("span", {}, t("password")),
      el("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    el("button", { type: "submit" }, t("signin")),
    error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    try {
      await api.login(fields.get("username"), fields.get("password"));
    } catch (failure) {
      // 429: this username or address is locked out for a while; 503: logins are busy.
      const key = { 429: "login_throttled", 503: "login_busy", 0: "error_network" }[failure.status];
      error.textContent = t(key || "login_failed", { s: failure.retryAfter || "60" });
      return;
    }
    startBell($("#bell-slot"));
    show(location());
  });
  $("#view").replaceChildren(el("section", { id: "login-view" }, form));
  $("#error").textContent = "";
}

async function show(where) {
  if (!session.active) { showLogin(); return; }
  frame();
  if (where.path === "/") { navigate(home(), { replace: true }); return; }
  if (leave) { leave(); leave = null; }
  const ticket = ++rendering;
  const view = $("#view");
  $("#error").textContent = "";
  const found = match(PAGES, where.path);
  if (!found) {
    view.replaceChildren(el("h2", {}, t("not_found")));
    return;
  }
  // Each render writes into a container of its own: a page still loading when she moves
  // on (a slow connection) then fills a container no longer shown, never the new page.
  const page = el("div", { className: "page" }, el("p", { className: "loading" }, t("loading")));
  view.replaceChildren(page);
  view.dataset.page = found.page.path;
  try {
    const cleanUp = await found.page.render(page, { params: found.params, query: where.query });
    if (ticket === rendering) leave = cleanUp || null;
    else if (cleanUp) cleanUp();
  } catch (failure) {
    if (ticket !== rendering) return;
    if (failure instanceof ApiError && failure.status === 401) return; // the login shows
    $("#error").textContent = `${t("load_failed")}: ${describe(failure)}`;
  }
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/dashboard/sw.js", { scope: "/dashboard/" }).catch(() => {});
}

layout();
startOffline();
onSessionEnded(() => { stopBell(); showLogin(t("error_401")); });
onLangChange(() => (session.active ? show(location()) : showLogin()));
startRouter(show);
if (session.active) startBell($("#bell-slot"));
registerServiceWorker();
