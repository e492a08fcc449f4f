// The writes waiting to be sent, in the order they were made, sealed by the vault. An item:
// {method, path, body, ifMatch, seen, idempotencyKey, caseId, label, createdAt, state,
// problem}. `seen` is the version the user saw when she wrote (the If-Match she sent);
// `ifMatch` is what the next attempt sends; `state` is "pending", "conflict" (412) or
// "refused" (another 4xx), the last two waiting for her to resend or drop.
import { getAll, inStore, remove } from "./idb.js";

export class Queue {
  constructor(vault) {
    this.vault = vault;
  }

  // The items, oldest first, each with its `seq`.
  async all() {
    const records = await getAll(this.vault.db, "queue");
    return Promise.all(records.map(async (record) => ({ ...(await this.vault.open(record)), seq: record.seq })));
  }

  async count() {
    return inStore(this.vault.db, "queue", "readonly", (store, done) => done(store.count()));
  }

  async add(item) {
    const sealed = await this.vault.seal(item);
    return inStore(this.vault.db, "queue", "readwrite", (store, done) => done(store.add(sealed)));
  }

  async save(item) {
    const { seq, ...rest } = item;
    const sealed = { ...(await this.vault.seal(rest)), seq };
    return inStore(this.vault.db, "queue", "readwrite", (store, done) => done(store.put(sealed)));
  }

  drop(item) {
    return remove(this.vault.db, "queue", item.seq);
  }

  // `item` was written and the case is now at `etag`. The later writes of the same case
  // that the user made on the same version she saw for this one follow it: her own
  // earlier write is not a concurrent change, so they are sent on the version it made.
  async sent(item, etag) {
    const later = (await this.all()).filter((other) => other.seq > item.seq && other.caseId === item.caseId
      && other.state === "pending" && item.seen && other.seen === item.seen && etag);
    for (const other of later) await this.save({ ...other, ifMatch: etag });
    await this.drop(item);
  }
}
