// The device's encryption (docs/web-app.md#offline). A random 64-byte secret, made on the
// device at the user's first login, is kept in IndexedDB only wrapped (AES-GCM) by the
// user's device key, which the server derives and sends with each login and refresh and
// which lives in the tab's sessionStorage beside the access token (never in IndexedDB or
// localStorage). From the secret: an AES-GCM key that seals every record and an HMAC key
// that names cache records (so no address, with its query, is stored in clear). Both are
// non-extractable CryptoKeys held in memory only.
import { deleteDatabase, get, openDatabase, put } from "./idb.js";

const subtle = () => globalThis.crypto.subtle;
const encoder = new TextEncoder();

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function aes(raw, usages) {
  return subtle().importKey("raw", raw, { name: "AES-GCM" }, false, usages);
}

async function seal(key, bytes) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return { iv, data: await subtle().encrypt({ name: "AES-GCM", iv }, key, bytes) };
}

// Unwraps the device's secret with the device key, making it at the first login.
// A secret the key cannot open (the server's secret was rotated) is unreadable for good:
// the store is started afresh.
async function secretOf(db, wrapping) {
  const wrapped = await get(db, "meta", "secret");
  if (wrapped) {
    try {
      return new Uint8Array(await subtle().decrypt({ name: "AES-GCM", iv: wrapped.iv }, wrapping, wrapped.data));
    } catch {
      console.warn("offline store: the device key no longer opens it; starting afresh");
    }
  }
  const secret = crypto.getRandomValues(new Uint8Array(64));
  await put(db, "meta", await seal(wrapping, secret), "secret");
  return secret;
}

export class Vault {
  constructor(db, sealing, naming) {
    this.db = db;
    this.sealing = sealing;
    this.naming = naming;
  }

  // `value` (JSON) → {iv, data}: nothing of it readable without the key.
  async seal(value) {
    return seal(this.sealing, encoder.encode(JSON.stringify(value)));
  }

  async open(record) {
    const plain = await subtle().decrypt({ name: "AES-GCM", iv: record.iv }, this.sealing, record.data);
    return JSON.parse(new TextDecoder().decode(plain));
  }

  // A stable name for `text` that does not reveal it (HMAC-SHA256).
  async name(text) {
    return hex(await subtle().sign("HMAC", this.naming, encoder.encode(text)));
  }

  close() {
    this.db.close();
  }
}

export async function openVault(username, deviceKey) {
  const db = await openDatabase(username);
  const wrapping = await aes(fromBase64Url(deviceKey), ["encrypt", "decrypt"]);
  const secret = await secretOf(db, wrapping);
  const sealing = await aes(secret.slice(0, 32), ["encrypt", "decrypt"]);
  const naming = await subtle().importKey("raw", secret.slice(32), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  secret.fill(0);
  return new Vault(db, sealing, naming);
}

// Logout: the whole store of the user goes, key and all.
export async function wipe(vault, username) {
  vault?.close();
  await deleteDatabase(username);
}
