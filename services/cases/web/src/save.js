// A file from the API handed to the browser to save (a template, an export, a report).
import { api } from "./api.js";
import { el } from "./dom.js";

export async function saveFile(path, name) {
  const blob = await api.download(path);
  const link = el("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}
