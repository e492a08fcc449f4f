// The device's copy of what the user read (worklists, cases, their histories), sealed by
// the vault and named by an HMAC of the address: offline, the pages read from here.
import { session } from "../api.js";
import { get, put } from "./idb.js";

// One answer, one name, whatever page asked: the purpose (for the access log) does not
// change the answer, nor does naming the user's own scope, and parameters come in any
// order. So a case kept ahead (prefetch.js) is found by the case page and the forms.
export function cacheKey(path) {
  const [base, search = ""] = path.split("?");
  const params = new URLSearchParams(search);
  params.delete("purpose");
  if (params.get("scope") === session.user?.scope) params.delete("scope");
  params.sort();
  const rest = params.toString();
  return rest ? `${base}?${rest}` : base;
}

export class ReadCache {
  constructor(vault) {
    this.vault = vault;
  }

  async put(path, answer) {
    const sealed = await this.vault.seal({ data: answer.data, etag: answer.etag, at: new Date().toISOString() });
    await put(this.vault.db, "cache", { id: await this.vault.name(cacheKey(path)), ...sealed });
  }

  // {data, etag, at} or null.
  async get(path) {
    const record = await get(this.vault.db, "cache", await this.vault.name(cacheKey(path)));
    return record ? this.vault.open(record) : null;
  }
}
