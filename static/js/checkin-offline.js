// Offline check-in: the device's copy of what it needs to decide at the door (IndexedDB),
// the local decision (Ed25519 signature verified with WebCrypto, revocation list, admitted set),
// the outbox written BEFORE a green result is shown, and the sync with the server (batches
// acknowledged item by item; pulls of other devices' check-ins by server sequence number).

// A logged-in steward's data lives in "campaign-checkin" (wiped at logout); a registered device's in
// "campaign-checkin-device", with its token (wiped when the device is removed from the event).
export const STEWARD_DB = "campaign-checkin";
export const DEVICE_DB = "campaign-checkin-device";
export const CACHES = ["checkin-pages-v1", "checkin-assets-v1"];
let DB_NAME = STEWARD_DB;
let deviceToken = null;
let lastPending = null;
// What the server said about this device in its last answer (a removed device must wipe itself).
export const state = { revoked: false, unknown: false };

export function configure({ dbName, token } = {}) {
  if (dbName && dbName !== DB_NAME) {
    DB_NAME = dbName;
    dbPromise = null;
  }
  if (token !== undefined) deviceToken = token;
}

// The headers of every API request: the device's token when it has one (else the session cookie
// is the authority), and how many scans wait in the outbox (shown to the organisers).
export function headers(extra = {}) {
  const h = { "X-Checkin-Client": "scanner", ...extra };
  if (deviceToken) h.Authorization = `Bearer ${deviceToken}`;
  if (lastPending !== null) h["X-Checkin-Pending"] = String(lastPending);
  return h;
}

// Note what a refused answer says about this device.
export async function noteRefusal(resp) {
  if (!deviceToken || (resp.status !== 401 && resp.status !== 403)) return;
  const body = await resp.clone().json().catch(() => ({}));
  if (resp.status === 403 && body.revoked) state.revoked = true;
  if (resp.status === 401) state.unknown = true;
}
const DOMAIN = new TextEncoder().encode("campaign-ticket\u0000");
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const FALLBACK_URL = new URL("../vendor/noble-ed25519/ed25519.js", import.meta.url).href;

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  });
}

let dbPromise = null;

// A synchronous hint that this browser holds check-in data (read by the logout guard, which must
// decide at once whether to stop the logout form).
export function markHolding(dbName, holding) {
  try {
    if (holding) localStorage.setItem(`checkin-db:${dbName}`, "1");
    else localStorage.removeItem(`checkin-db:${dbName}`);
  } catch (e) {
    /* storage disabled */
  }
}

export function holds(dbName) {
  try {
    return localStorage.getItem(`checkin-db:${dbName}`) === "1";
  } catch (e) {
    return false;
  }
}

export function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => {
        const db = r.result;
        db.createObjectStore("packs", { keyPath: "event_id" });
        const outbox = db.createObjectStore("outbox", { keyPath: "uuid" });
        outbox.createIndex("event_id", "event_id");
        db.createObjectStore("admitted", { keyPath: "key" });
        db.createObjectStore("meta", { keyPath: "key" });
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    markHolding(DB_NAME, true);
  }
  return dbPromise;
}

async function get(store, key) {
  const db = await openDb();
  return req(db.transaction(store).objectStore(store).get(key));
}

async function put(store, value) {
  const db = await openDb();
  const tx = db.transaction(store, "readwrite");
  tx.objectStore(store).put(value);
  return done(tx);
}

export async function getPack(eventId) {
  return get("packs", eventId);
}

export async function getMeta(key) {
  const row = await get("meta", key);
  return row ? row.value : undefined;
}

export async function setMeta(key, value) {
  return put("meta", { key, value });
}

const admittedKey = (eventId, token) => `${eventId}:${token}`;

// --- preparing the device -----------------------------------------------------------------

export async function prepare(packUrl, eventId) {
  const resp = await fetch(packUrl, { headers: headers(), credentials: "same-origin" });
  await noteRefusal(resp);
  if (!resp.ok) throw new Error(`pack ${resp.status}`);
  const pack = await resp.json();
  pack.event_id = eventId;
  pack.prepared_at = new Date().toISOString();
  pack.byShort = {};
  pack.byToken = {};
  for (const tk of pack.tickets) {
    pack.byShort[tk.short_code] = tk.token;
    pack.byToken[tk.token] = tk;
  }
  const db = await openDb();
  const tx = db.transaction(["packs", "admitted", "meta", "outbox"], "readwrite");
  tx.objectStore("packs").put(pack);
  // The server's admitted set replaces ours (an undo on the server removes a ticket), except the
  // admissions this device made that are still waiting in the outbox.
  const unsent = new Set((await req(tx.objectStore("outbox").getAll())).map((i) => i.uuid));
  const range = IDBKeyRange.bound(`${eventId}:`, `${eventId}:\uffff`);
  const mine = await req(tx.objectStore("admitted").getAll(range));
  for (const entry of mine) {
    if (!entry.uuid || !unsent.has(entry.uuid)) tx.objectStore("admitted").delete(entry.key);
  }
  for (const token of pack.admitted) {
    tx.objectStore("admitted").put({ key: admittedKey(eventId, token), event_id: eventId, token });
  }
  const meta = tx.objectStore("meta");
  const seqReq = meta.get(`last_seq:${eventId}`);
  seqReq.onsuccess = () => {
    if (!seqReq.result) meta.put({ key: `last_seq:${eventId}`, value: pack.last_seq });
  };
  await done(tx);
  return pack;
}

// --- deciding offline ---------------------------------------------------------------------

function base32(text) {
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text) {
    const v = B32.indexOf(ch);
    if (v < 0) return null;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  if (bits && value & ((1 << bits) - 1)) return null; // canonical spelling only
  return new Uint8Array(out);
}

function b64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// Ed25519 with WebCrypto where the browser has it; else @noble/ed25519 (self-hosted, loaded only
// when needed).
const keyCache = new Map();
let noble = null;
async function importKey(raw) {
  try {
    return { webcrypto: await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]) };
  } catch (e) {
    noble = noble || (await import(FALLBACK_URL));
    return { raw };
  }
}

async function verifySignature(pack, keyId, signature, message) {
  const entry = pack.keys.find((k) => k.id === keyId);
  if (!entry) return null;
  if (!keyCache.has(keyId)) keyCache.set(keyId, importKey(b64(entry.public_key)));
  const key = await keyCache.get(keyId);
  const ok = key.webcrypto
    ? await crypto.subtle.verify("Ed25519", key.webcrypto, signature, message)
    : await noble.verifyAsync(signature, message, key.raw, { zip215: false });
  return ok ? { revoked: entry.revoked } : null;
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// The signed code's fields if its signature holds with one of the pack's keys, else null.
export async function verifyCode(text, pack) {
  const fmt = pack.code_format;
  if (text.length !== fmt.length || !text.startsWith(fmt.prefix)) return null;
  const raw = base32(text.slice(fmt.prefix.length));
  if (!raw || raw.length !== 83) return null;
  const view = new DataView(raw.buffer);
  const version = raw[0];
  const keyId = view.getUint32(1);
  const eventId = view.getUint32(5);
  if (version !== fmt.version || !keyId || !eventId) return null;
  const payload = raw.slice(0, 19);
  const signature = raw.slice(19);
  const message = new Uint8Array(DOMAIN.length + payload.length);
  message.set(DOMAIN);
  message.set(payload, DOMAIN.length);
  const key = await verifySignature(pack, keyId, signature, message);
  if (!key) return null;
  return { keyId, eventId, token: hex(raw.slice(9, 19)), keyRevoked: key.revoked };
}

function shortCode(text) {
  const s = text.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  if (!/^[0-9A-HJKMNP-TV-Z]{8}$/.test(s)) return null;
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

// Decide a scan from the device's copy; the scan goes to the outbox (and an admission to the local
// admitted set) in one IndexedDB transaction, which has completed before this returns.
export async function decide(body, t) {
  const pack = await getPack(body.event_id);
  if (!pack) return { result: "error", title: t.not_prepared, offline: true };
  let token = null;
  let result = "invalid";
  if (body.ticket) {
    token = body.ticket;
  } else {
    const text = body.code.trim().toUpperCase().replace(/\s+/g, "");
    if (text.startsWith(pack.code_format.prefix) && text.length > 12) {
      const code = await verifyCode(text, pack);
      if (code && !code.keyRevoked) {
        token = code.token;
        if (!pack.valid_event_ids.includes(code.eventId)) result = "wrong_event";
      }
    } else {
      const short = shortCode(text);
      token = short ? pack.byShort[short] || null : null;
    }
  }
  if (token && result !== "wrong_event") {
    if (pack.revoked_tickets.includes(token)) result = "revoked";
    else if (!body.code && !pack.byToken[token]) result = "invalid";
    else result = "accepted";
  }
  const db = await openDb();
  const tx = db.transaction(["outbox", "admitted"], "readwrite");
  const admitted = tx.objectStore("admitted");
  if (result === "accepted") {
    const seen = await req(admitted.get(admittedKey(body.event_id, token)));
    if (seen) result = "duplicate";
  }
  const item = { ...body, door_result: result };
  if (token && !item.code) item.ticket = token;
  tx.objectStore("outbox").put(item);
  if (result === "accepted") {
    admitted.put({ key: admittedKey(body.event_id, token), event_id: body.event_id, token, uuid: body.uuid });
  }
  await done(tx);
  const facts = token ? pack.byToken[token] : null;
  const titles = { accepted: t.off_accepted, duplicate: t.off_duplicate, revoked: t.off_revoked,
                   wrong_event: t.off_wrong_event, invalid: t.off_invalid };
  return {
    uuid: body.uuid, result, offline: true, title: titles[result], message: t.offline_note,
    ticket: facts ? { short_code: facts.short_code, name: facts.name || "" } : null,
  };
}

export async function markAdmitted(eventId, token, uuid) {
  if (token) await put("admitted", { key: admittedKey(eventId, token), event_id: eventId, token, uuid });
}

// --- sync -----------------------------------------------------------------------------------

export async function pendingCount() {
  const db = await openDb();
  lastPending = await req(db.transaction("outbox").objectStore("outbox").count());
  return lastPending;
}

// Send the outbox in batches; delete only what the server acknowledged. Returns false if the
// network failed (the items stay for the next try).
export async function upload(syncUrl, batchSize = 100) {
  const db = await openDb();
  const items = await req(db.transaction("outbox").objectStore("outbox").getAll());
  items.sort((a, b) => (a.device_time < b.device_time ? -1 : 1));
  for (let i = 0; i < items.length; i += batchSize) {
    const batch = items.slice(i, i + batchSize);
    let answer;
    try {
      const resp = await fetch(syncUrl, {
        method: "POST",
        headers: headers({ "Content-Type": "application/json" }),
        credentials: "same-origin",
        body: JSON.stringify({ items: batch.map(({ door_result, ...rest }) => ({ ...rest, door_result })) }),
      });
      await noteRefusal(resp);
      if (!resp.ok) return false;
      answer = await resp.json();
      if (answer.revoked) state.revoked = true;
    } catch (e) {
      return false;
    }
    const tx = db.transaction("outbox", "readwrite");
    for (const a of answer.items || []) {
      if (a.ack && a.uuid) tx.objectStore("outbox").delete(a.uuid);
    }
    await done(tx);
  }
  await pendingCount();
  return true;
}

// Other devices' check-ins since the last sequence number seen (with some overlap: sequence
// numbers are not commit-ordered), into the local admitted set.
export async function pull(checkinsUrl, eventId) {
  let since = (await getMeta(`last_seq:${eventId}`)) || 0;
  for (let page = 0; page < 20; page++) {
    const from = Math.max(0, since - 50);
    const resp = await fetch(`${checkinsUrl}?since=${from}`, { headers: headers(), credentials: "same-origin" });
    await noteRefusal(resp);
    if (!resp.ok) return false;
    const data = await resp.json();
    const db = await openDb();
    const tx = db.transaction("admitted", "readwrite");
    const store = tx.objectStore("admitted");
    for (const c of data.checkins) {
      if (!c.ticket) continue;
      const key = admittedKey(eventId, c.ticket);
      if (c.result === "accepted" && !c.undone) {
        store.put({ key, event_id: eventId, token: c.ticket, uuid: c.uuid });
      } else if (c.result === "accepted" && c.undone) {
        // Undone on the server: no longer admitted here (unless a later admission replaced it).
        const entry = await req(store.get(key));
        if (entry && (!entry.uuid || entry.uuid === c.uuid)) store.delete(key);
      }
    }
    await done(tx);
    const last = Math.max(since, data.last_seq || 0);
    await setMeta(`last_seq:${eventId}`, last);
    if (data.checkins.length < 500 || last === since) break;
    since = last;
  }
  return true;
}

// --- wiping -----------------------------------------------------------------------------------

// Delete this device's check-in data: its IndexedDB database (names, admitted sets, outbox, token)
// and, with ``caches``, the caches the scanner made.
export async function wipe({ dbName = DB_NAME, withCaches = true } = {}) {
  if (dbName === DB_NAME && dbPromise) {
    (await dbPromise.catch(() => null))?.close();
    dbPromise = null;
  }
  await new Promise((resolve) => {
    const r = indexedDB.deleteDatabase(dbName);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
  markHolding(dbName, false);
  if (withCaches && "caches" in self) {
    await Promise.all(CACHES.map((name) => caches.delete(name).catch(() => false)));
  }
}

// Whether a database exists, without creating it.
export async function exists(dbName) {
  if (indexedDB.databases) {
    const all = await indexedDB.databases();
    return all.some((d) => d.name === dbName);
  }
  return true;
}
