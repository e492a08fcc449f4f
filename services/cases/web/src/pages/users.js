// The admin's view (#/admin/users): the users inside the admin's scope
// (GET /api/v1/admin/users). Admins read no case data, so this is their home.
import { api } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n/index.js";
import { renderTable } from "../table.js";

const COLUMNS = () => [{ key: "username", label: t("username") },
  { key: "display_name", label: t("user_display_name") }, { key: "role", label: t("log_role") },
  { key: "scope", label: t("user_scope") },
  { key: "disabled", label: t("user_disabled"), value: (row) => t(row.disabled ? "word_yes" : "word_no") }];

export async function renderUsers(view) {
  const users = await api.get("/api/v1/admin/users");
  const table = el("table", { id: "users" });
  view.replaceChildren(el("h2", { id: "users-heading" }, t("admin_users")), el("div", { className: "table-wrap" }, table));
  renderTable(table, COLUMNS(), users || [], { sortParam: "sort", exportName: t("admin_users") });
}
