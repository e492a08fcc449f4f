// Promises over IndexedDB: one database per user (careledger-offline:<username>) with three
// stores: `meta` (the wrapped key), `queue` (writes waiting, in order) and `cache` (reads).
// Every record but the wrapped key is {iv, data} ciphertext from vault.js.

const VERSION = 1;

export function databaseName(username) {
  return `careledger-offline:${username}`;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function openDatabase(username) {
  const request = indexedDB.open(databaseName(username), VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore("meta");
    db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
    db.createObjectStore("cache", { keyPath: "id" });
  };
  return done(request);
}

// Runs `work(store)` in one transaction of `name`; resolves when it committed.
export function inStore(db, name, mode, work) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    let result;
    Promise.resolve(work(tx.objectStore(name), done)).then((value) => { result = value; }, reject);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export function get(db, name, key) {
  return inStore(db, name, "readonly", (store) => done(store.get(key)));
}

export function getAll(db, name) {
  return inStore(db, name, "readonly", (store) => done(store.getAll()));
}

export function put(db, name, value, key) {
  return inStore(db, name, "readwrite", (store) => done(key === undefined ? store.put(value) : store.put(value, key)));
}

export function remove(db, name, key) {
  return inStore(db, name, "readwrite", (store) => done(store.delete(key)));
}

export function deleteDatabase(username) {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(databaseName(username));
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}
