// Offline check-in (issue 8): the device's copy of what it needs to decide at the door (IndexedDB),
// the local decision (Ed25519 signature verified with WebCrypto, revocation list, admitted set),
// the outbox written BEFORE a green result is shown, and the sync with the server (batches
// acknowledged item by item; pulls of other devices' check-ins by server sequence number).

const DB_NAME = "campaign-checkin";
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
  const resp = await fetch(packUrl, { headers: { "X-Checkin-Client": "scanner" }, credentials: "same-origin" });
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
  const tx = db.transaction(["packs", "admitted", "meta"], "readwrite");
  tx.objectStore("packs").put(pack);
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
  return req(db.transaction("outbox").objectStore("outbox").count());
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
        headers: { "Content-Type": "application/json", "X-Checkin-Client": "scanner" },
        credentials: "same-origin",
        body: JSON.stringify({ items: batch.map(({ door_result, ...rest }) => ({ ...rest, door_result })) }),
      });
      if (!resp.ok) return false;
      answer = await resp.json();
    } catch (e) {
      return false;
    }
    const tx = db.transaction("outbox", "readwrite");
    for (const a of answer.items || []) {
      if (a.ack && a.uuid) tx.objectStore("outbox").delete(a.uuid);
    }
    await done(tx);
  }
  return true;
}

// Other devices' check-ins since the last sequence number seen (with some overlap: sequence
// numbers are not commit-ordered), into the local admitted set.
export async function pull(checkinsUrl, eventId) {
  let since = (await getMeta(`last_seq:${eventId}`)) || 0;
  for (let page = 0; page < 20; page++) {
    const from = Math.max(0, since - 50);
    const resp = await fetch(`${checkinsUrl}?since=${from}`, {
      headers: { "X-Checkin-Client": "scanner" }, credentials: "same-origin",
    });
    if (!resp.ok) return false;
    const data = await resp.json();
    const db = await openDb();
    const tx = db.transaction("admitted", "readwrite");
    const store = tx.objectStore("admitted");
    for (const c of data.checkins) {
      if (!c.ticket) continue;
      const key = admittedKey(eventId, c.ticket);
      if (c.result === "accepted" && !c.undone) store.put({ key, event_id: eventId, token: c.ticket, uuid: c.uuid });
    }
    await done(tx);
    const last = Math.max(since, data.last_seq || 0);
    await setMeta(`last_seq:${eventId}`, last);
    if (data.checkins.length < 500 || last === since) break;
    since = last;
  }
  return true;
}
