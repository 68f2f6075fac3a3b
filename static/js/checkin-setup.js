// Setting up a registered check-in device: the one-time code is in the address's fragment
// (never sent to the server by the browser); it is posted once to the activation endpoint, which
// answers with the device's token. The token and the device's event go to this device's own
// IndexedDB, then the scanner opens. No login is involved.
import * as offline from "./checkin-offline.js";

const box = document.getElementById("device-setup");
const status = document.getElementById("setup-status");
const t = JSON.parse(document.getElementById("setup-texts").textContent);

function say(text, state) {
  status.textContent = text;
  box.dataset.state = state;
}

async function setup() {
  const code = decodeURIComponent(location.hash.slice(1));
  // Out of the address bar and the history at once.
  history.replaceState(null, "", location.pathname);
  if (!code) return say(t.no_code, "error");
  offline.configure({ dbName: offline.DEVICE_DB });
  // A previous registration on this phone that still holds unsent scans must send them first.
  if (await offline.exists(offline.DEVICE_DB)) {
    const pending = await offline.pendingCount().catch(() => 0);
    if (pending > 0) {
      say(t.busy.replace("{count}", pending), "busy");
      const a = document.createElement("a");
      a.href = box.dataset.scannerUrl;
      a.className = "btn btn-primary ms-1";
      a.textContent = t.open_scanner;
      status.append(" ", a);
      return undefined;
    }
  }
  say(t.working, "working");
  let resp;
  try {
    resp = await fetch(box.dataset.activateUrl, {
      method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json", "X-Checkin-Client": "setup" },
      body: JSON.stringify({ setup: code }),
    });
  } catch (e) {
    return say(t.network, "error");
  }
  const body = await resp.json().catch(() => ({}));
  if (resp.status !== 201 || !body.token) return say(body.message || t.error, "error");
  // A fresh database for the new registration (the old one sent everything).
  await offline.wipe({ dbName: offline.DEVICE_DB, withCaches: false });
  offline.configure({ dbName: offline.DEVICE_DB });
  await offline.setMeta("device", { ...body.device, token: body.token });
  localStorage.removeItem("checkin-device-wipe-report");
  say(t.done.replace("{label}", body.device.label), "done");
  location.replace(box.dataset.scannerUrl);
  return undefined;
}

setup();
