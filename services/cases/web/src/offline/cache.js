// The device's copy of what the user read (worklists, cases, their histories), sealed by
// the vault and named by an HMAC of the address: offline, the pages read from here.
import { get, put } from "./idb.js";

export class ReadCache {
  constructor(vault) {
    this.vault = vault;
  }

  async put(path, answer) {
    const sealed = await this.vault.seal({ data: answer.data, etag: answer.etag, at: new Date().toISOString() });
    await put(this.vault.db, "cache", { id: await this.vault.name(path), ...sealed });
  }

  // {data, etag, at} or null.
  async get(path) {
    const record = await get(this.vault.db, "cache", await this.vault.name(path));
    return record ? this.vault.open(record) : null;
  }
}
