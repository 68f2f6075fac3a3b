// The check-in scanner: camera (barcode-detector, zxing-cpp as WebAssembly, self-hosted), keyboard-wedge
// or typed codes, manual lookup; every scan goes to the JSON API with a client-made UUID so that a retry
// never checks anyone in twice. Texts come from data-* attributes (translated on the server).
import { BarcodeDetector, prepareZXingModule } from "../vendor/barcode-detector/ponyfill.js";
import * as offline from "./checkin-offline.js";

const root = document.getElementById("scanner");
const cfg = root.dataset;
const t = JSON.parse(document.getElementById("scanner-texts").textContent);
// A registered device (no login): its record (event, label, token) is in its own IndexedDB.
const deviceMode = cfg.deviceMode === "1";
const WIPE_REPORT = "checkin-device-wipe-report";
let device = null;

// Never fetch the decoder from a CDN: our own copy of zxing_reader.wasm.
prepareZXingModule({
  overrides: {
    locateFile: (path, prefix) => (path.endsWith(".wasm") ? cfg.wasmUrl : prefix + path),
  },
});

const els = {
  video: document.getElementById("scanner-video"),
  cameraBtn: document.getElementById("camera-toggle"),
  cameraState: document.getElementById("camera-state"),
  form: document.getElementById("code-form"),
  code: document.getElementById("code-input"),
  result: document.getElementById("scan-result"),
  resultTitle: document.getElementById("scan-result-title"),
  resultDetail: document.getElementById("scan-result-detail"),
  undoBtn: document.getElementById("undo-button"),
  nextBtn: document.getElementById("next-button"),
  rapid: document.getElementById("rapid-mode"),
  lookupForm: document.getElementById("lookup-form"),
  lookupInput: document.getElementById("lookup-input"),
  lookupResults: document.getElementById("lookup-results"),
  count: document.getElementById("checked-in-count"),
};

function deviceId() {
  if (device) return `device:${device.id}`;
  let id = localStorage.getItem("checkin-device-id");
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem("checkin-device-id", id);
  }
  return id;
}

// --- feedback: colour, sound, vibration ----------------------------------------------------
let audio;
function beep(kind) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const tones = { green: [[880, 0.15]], amber: [[660, 0.12], [660, 0.12]], red: [[220, 0.45]] }[kind];
    let at = audio.currentTime;
    for (const [freq, length] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + length);
      at += length + 0.08;
    }
  } catch (e) {
    /* no sound on this device */
  }
  if (navigator.vibrate) navigator.vibrate({ green: 120, amber: [80, 60, 80], red: [300, 100, 300] }[kind]);
}

const COLOURS = { accepted: "green", duplicate: "amber", wrong_event: "red", revoked: "red", invalid: "red",
                  not_found: "red", error: "red", undone: "amber" };
let lastAnswer = null;
let resumeTimer = null;

function show(answer) {
  lastAnswer = answer;
  const colour = COLOURS[answer.result] || "red";
  els.result.hidden = false;
  els.result.className = `scan-result scan-${colour}`;
  els.result.dataset.result = answer.result;
  els.resultTitle.textContent = answer.title || answer.message || "";
  const lines = [];
  if (answer.ticket && answer.ticket.name) lines.push(answer.ticket.name);
  if (answer.ticket && answer.ticket.short_code) lines.push(answer.ticket.short_code);
  if (answer.message && answer.title) lines.push(answer.message);
  els.resultDetail.textContent = lines.join(" · ");
  els.undoBtn.hidden = !(answer.result === "accepted" && answer.can_undo);
  if (typeof answer.checked_in === "number" && els.count) els.count.textContent = answer.checked_in;
  else if (els.count && !answer.replay && (answer.result === "accepted" || answer.result === "undone")) {
    // The scan's answer carries no count (no count per scan on the server): our own admissions
    // move it; the counts endpoint brings the others'.
    const shown = parseInt(els.count.textContent, 10) || 0;
    els.count.textContent = Math.max(0, shown + (answer.result === "accepted" ? 1 : -1));
  }
  beep(colour);
  if (els.rapid.checked) {
    clearTimeout(resumeTimer);
    resumeTimer = setTimeout(ready, colour === "green" ? 1500 : 3000);
  }
}

function ready() {
  clearTimeout(resumeTimer);
  els.result.hidden = true;
  els.code.value = "";
  if (!cameraOn) els.code.focus();
}

// --- the API -------------------------------------------------------------------------------
async function post(url, body) {
  // The same UUID on every retry: the server answers a repeat with the first answer.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const resp = await fetch(url, {
        method: "POST",
        headers: offline.headers({ "Content-Type": "application/json" }),
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
      await offline.noteRefusal(resp);
      const data = await resp.json().catch(() => ({}));
      if (resp.status === 401) return { result: "error", title: deviceMode ? t.device_unknown : t.login_again };
      if (!resp.ok && !data.result) return { result: "error", title: data.message || t.error };
      return data;
    } catch (e) {
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  return { result: "error", title: t.network };
}

// One try at the server with a short timeout; null when the network failed (decide offline then).
async function postOnce(url, body, timeout = 2500) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  try {
    const resp = await fetch(url, {
      method: "POST",
      headers: offline.headers({ "Content-Type": "application/json" }),
      credentials: "same-origin",
      body: JSON.stringify(body),
      signal: ctrl.signal,
    });
    if (resp.status >= 500) return null;
    await offline.noteRefusal(resp);
    const data = await resp.json().catch(() => ({}));
    if (resp.status === 401) return { result: "error", title: deviceMode ? t.device_unknown : t.login_again };
    if (!resp.ok && !data.result) return { result: "error", title: data.message || t.error };
    return data;
  } catch (e) {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

// Decide one scan: the server if it answers in time, else this device, with the SAME UUID, so a
// request that reached the server before the timeout is merged when the outbox is sent.
async function decideScan(body) {
  let answer = navigator.onLine ? await postOnce(cfg.scanUrl, body) : null;
  if (offline.state.revoked) {
    retire();
    return { result: "error", title: t.device_removed };
  }
  if (answer === null) {
    answer = await offline.decide(body, t);
    refreshStatus();
  } else if (answer.result === "accepted" && answer.ticket) {
    await offline.markAdmitted(body.event_id, answer.ticket.token, body.uuid).catch(() => {});
  }
  return answer;
}

function scanBody(extra) {
  return { uuid: crypto.randomUUID(), event_id: eventId, device_id: deviceId(),
           device_time: new Date().toISOString(), ...extra };
}

let busy = false;
async function submitCode(text, method) {
  text = (text || "").trim();
  if (!text || busy) return;
  busy = true;
  try {
    show(await decideScan(scanBody({ code: text, method })));
  } finally {
    busy = false;
  }
}

async function checkInTickets(tokens) {
  for (const token of tokens) {
    show(await decideScan(scanBody({ ticket: token, method: "lookup" })));
  }
  lookup();
}

els.undoBtn.addEventListener("click", async () => {
  if (!lastAnswer || !lastAnswer.uuid) return;
  const answer = await post(cfg.undoUrl, { uuid: lastAnswer.uuid, device_id: deviceId() });
  show(answer);
});
els.nextBtn.addEventListener("click", ready);

// --- typed codes and keyboard-wedge scanners (they type the code and press Enter) ----------
els.form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  submitCode(els.code.value, "typed");
  els.code.value = "";
});

// A scanner gun types wherever the focus is: characters typed outside a text field go to the code field.
document.addEventListener("keydown", (ev) => {
  const el = document.activeElement;
  const typing = el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type)));
  if (!typing && ev.key.length === 1 && ev.key !== " " && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
    els.code.focus();
  }
});

// --- camera --------------------------------------------------------------------------------
let cameraOn = false;
let stream = null;
let detector = null;
let lastText = "";
let lastAt = 0;

async function startCamera() {
  try {
    detector = detector || new BarcodeDetector({ formats: ["qr_code"] });
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch (e) {
    els.cameraState.textContent = t.no_camera;
    return;
  }
  els.video.srcObject = stream;
  await els.video.play().catch(() => {});
  cameraOn = true;
  els.video.hidden = false;
  els.cameraBtn.textContent = t.camera_off;
  els.cameraBtn.setAttribute("aria-pressed", "true");
  els.cameraState.textContent = t.camera_ready;
  root.dataset.camera = "on";
  loop();
}

function stopCamera() {
  cameraOn = false;
  if (stream) stream.getTracks().forEach((tr) => tr.stop());
  stream = null;
  els.video.hidden = true;
  els.cameraBtn.textContent = t.camera_on;
  els.cameraBtn.setAttribute("aria-pressed", "false");
  els.cameraState.textContent = "";
  root.dataset.camera = "off";
}

async function loop() {
  while (cameraOn) {
    if (!busy && els.result.hidden && els.video.readyState >= 2) {
      try {
        const found = await detector.detect(els.video);
        const text = found.length ? found[0].rawValue : "";
        const now = Date.now();
        // A code held in front of the camera is scanned once, not at every frame: the same code
        // counts again only after it has been out of view for a few seconds.
        if (text && text === lastText && now - lastAt < 3000) {
          lastAt = now;
        } else if (text) {
          lastText = text;
          lastAt = now;
          await submitCode(text, "camera");
        }
      } catch (e) {
        /* a frame that could not be read */
      }
    }
    await new Promise((r) => setTimeout(r, 120));
  }
}

els.cameraBtn.addEventListener("click", () => (cameraOn ? stopCamera() : startCamera()));

// --- manual lookup: a name (accents optional) or the last digits of a phone ----------------
async function lookup(ev) {
  if (ev) ev.preventDefault();
  const q = els.lookupInput.value.trim();
  els.lookupResults.replaceChildren();
  if (q.length < 2) return;
  const resp = await fetch(`${cfg.lookupUrl}?q=${encodeURIComponent(q)}`, {
    headers: offline.headers(), credentials: "same-origin",
  });
  const data = await resp.json().catch(() => ({ results: [] }));
  if (!data.results || !data.results.length) {
    const p = document.createElement("p");
    p.textContent = t.nobody;
    els.lookupResults.append(p);
    return;
  }
  const list = document.createElement("ul");
  list.className = "list-group";
  for (const group of data.results) {
    for (const person of group.tickets) {
      const li = document.createElement("li");
      li.className = "list-group-item d-flex justify-content-between align-items-center gap-2";
      const label = document.createElement("span");
      label.textContent = `${person.name} · ${person.phone || ""} · ${person.short_code}`;
      li.append(label);
      if (person.checked_in_at) {
        const s = document.createElement("span");
        s.className = "badge text-bg-secondary";
        s.textContent = `${t.already} ${person.checked_in_at}`;
        li.append(s);
      } else {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "btn btn-success btn-sm";
        b.textContent = t.check_in;
        b.setAttribute("aria-label", `${t.check_in}: ${person.name}`);
        b.addEventListener("click", () => checkInTickets([person.token]));
        li.append(b);
      }
      list.append(li);
    }
    const open = group.tickets.filter((p) => !p.checked_in_at);
    if (group.tickets.length > 1 && open.length) {
      const li = document.createElement("li");
      li.className = "list-group-item";
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-outline-success";
      b.textContent = `${t.check_in_group} (${open.length})`;
      b.addEventListener("click", () => checkInTickets(open.map((p) => p.token)));
      li.append(b);
      list.append(li);
    }
  }
  els.lookupResults.append(list);
}
els.lookupForm.addEventListener("submit", lookup);

// --- offline: the service worker, the device's copy for this event, the outbox ---------------
const status = document.getElementById("sync-status");
const prepared = document.getElementById("prepared-status");
let eventId = Number(cfg.eventId);

function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }) : "—";
}

async function refreshStatus() {
  if (retiring || (deviceMode && !device)) return; // nothing to show, and no database to re-create
  const pending = await offline.pendingCount().catch(() => 0);
  const last = await offline.getMeta(`last_sync:${eventId}`).catch(() => undefined);
  status.dataset.pending = String(pending);
  status.textContent = `${t.waiting}: ${pending} · ${t.last_sync}: ${clock(last)}${navigator.onLine ? "" : ` · ${t.offline}`}`;
  const pack = await offline.getPack(eventId).catch(() => undefined);
  if (pack) {
    root.dataset.offlineReady = "1";
    prepared.textContent = `${t.prepared} ${clock(pack.prepared_at)} (${pack.tickets.length} ${t.tickets})`;
  } else {
    prepared.textContent = t.not_prepared;
  }
}

async function prepareDevice() {
  try {
    await offline.prepare(cfg.packUrl, eventId);
  } catch (e) {
    prepared.textContent = t.prepare_failed;
    return;
  }
  await refreshStatus();
}

let syncing = false;
async function syncNow() {
  if (syncing || !navigator.onLine) return;
  syncing = true;
  try {
    const sent = await offline.upload(cfg.syncUrl);
    const pulled = sent && !offline.state.revoked && (await offline.pull(cfg.checkinsUrl, eventId));
    if (sent && pulled) await offline.setMeta(`last_sync:${eventId}`, new Date().toISOString());
    root.dataset.synced = String(Date.now());
  } catch (e) {
    /* try again at the next tick */
  } finally {
    syncing = false;
    if (!retiring) await refreshStatus();
  }
  if (offline.state.revoked) await retire();
  else if (offline.state.unknown && deviceMode) gone(t.device_unknown, "");
}

// --- a registered device removed from the event: send everything, then delete its data -------
let retiring = false;
const goneBox = document.getElementById("device-gone");

function gone(title, detail) {
  root.dataset.device = offline.state.revoked ? "removed" : "unknown";
  const controls = document.getElementById("device-controls");
  if (controls) controls.hidden = true;
  if (goneBox) {
    goneBox.hidden = false;
    goneBox.replaceChildren();
    const h = document.createElement("p");
    h.className = "fw-semibold mb-1";
    h.textContent = title;
    goneBox.append(h);
    if (detail) {
      const p = document.createElement("p");
      p.className = "mb-0";
      p.textContent = detail;
      goneBox.append(p);
    }
  }
}

async function reportWipe(token) {
  try {
    const resp = await fetch(cfg.wipedUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-Checkin-Client": "scanner", Authorization: `Bearer ${token}`, "X-Checkin-Pending": "0" },
    });
    // 401: the server already counts this device as wiped.
    if (resp.ok || resp.status === 401) {
      localStorage.removeItem(WIPE_REPORT);
      return true;
    }
  } catch (e) {
    /* no network: reported on the next visit */
  }
  return false;
}

async function retire() {
  if (retiring || !deviceMode) return;
  retiring = true;
  if (cameraOn) stopCamera();
  gone(t.device_removed, t.device_removing);
  // Every scan made at the door reaches the server before anything is deleted.
  while ((await offline.pendingCount().catch(() => 0)) > 0) {
    if (navigator.onLine && (await offline.upload(cfg.syncUrl).catch(() => false))) continue;
    await new Promise((r) => setTimeout(r, 3000));
  }
  const token = device && device.token;
  // The token is kept (alone) only until the server has heard of the wipe.
  if (token) localStorage.setItem(WIPE_REPORT, token);
  await offline.wipe({ withCaches: true });
  localStorage.removeItem("checkin-device-id");
  if (token) await reportWipe(token);
  device = null;
  offline.configure({ token: null });
  root.dataset.wiped = "1";
  gone(t.device_removed, t.device_removed_detail);
}

document.getElementById("prepare-button").addEventListener("click", prepareDevice);
window.addEventListener("online", syncNow);
window.addEventListener("offline", refreshStatus);

async function startDevice() {
  // A wipe not yet reported (no network at the time): report it, nothing else is left.
  const pendingReport = localStorage.getItem(WIPE_REPORT);
  if (pendingReport) {
    offline.state.revoked = true;
    gone(t.device_removed, t.device_removed_detail);
    if (navigator.onLine) await reportWipe(pendingReport);
    root.dataset.wiped = "1";
    return false;
  }
  offline.configure({ dbName: offline.DEVICE_DB });
  device = (await offline.exists(offline.DEVICE_DB)) ? await offline.getMeta("device").catch(() => undefined) : undefined;
  if (!device || !device.token) {
    offline.state.unknown = true;
    gone(t.device_unknown, "");
    return false;
  }
  offline.configure({ token: device.token });
  eventId = device.event_id;
  root.dataset.eventId = String(eventId);
  for (const name of ["lookupUrl", "checkinsUrl", "packUrl"]) {
    cfg[name] = cfg[name].replace("/events/0/", `/events/${eventId}/`);
  }
  document.getElementById("device-event-title").textContent = device.event_title || "";
  document.getElementById("device-label").textContent = device.label || "";
  await offline.pendingCount().catch(() => 0);
  if (navigator.onLine) {
    try {
      const resp = await fetch(cfg.deviceUrl, { headers: offline.headers(), credentials: "same-origin" });
      await offline.noteRefusal(resp);
      if (resp.ok && (await resp.json()).revoked) offline.state.revoked = true;
    } catch (e) {
      /* offline after all */
    }
  }
  if (offline.state.unknown) {
    gone(t.device_unknown, "");
    return false;
  }
  if (offline.state.revoked) {
    await retire();
    return false;
  }
  return true;
}

async function startOffline() {
  if (deviceMode && !(await startDevice())) {
    root.dataset.ready = "1";
    return;
  }
  if ("serviceWorker" in navigator) {
    try {
      await navigator.serviceWorker.register(cfg.swUrl, { scope: "/" });
      await navigator.serviceWorker.ready;
      // This page and what it loaded, for the next time there is no network.
      const assets = [...document.querySelectorAll("link[rel=stylesheet], script[src]")]
        .map((el) => el.href || el.src).filter((u) => u.startsWith(location.origin));
      if (navigator.onLine) {
        const pages = await caches.open("checkin-pages-v1");
        await pages.add(location.pathname);
        const cache = await caches.open("checkin-assets-v1");
        await Promise.all(assets.map((u) => cache.add(new URL(u).pathname).catch(() => {})));
      }
      root.dataset.sw = "1";
    } catch (e) {
      /* no offline page cache on this browser */
    }
  }
  if (navigator.onLine) await prepareDevice();
  await refreshStatus();
  if (navigator.onLine) await syncNow();
  setInterval(() => {
    if (!retiring) syncNow();
  }, Number(cfg.syncEvery || 5000));
}

if (!deviceMode) root.dataset.ready = "1";
els.code.focus();
startOffline().then(() => {
  root.dataset.ready = "1";
});
