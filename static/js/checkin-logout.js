// Logging out on a shared phone: the steward's check-in data (the offline pack with names,
// the admitted sets) must not stay in the browser, and unsent scans must never be lost silently.
// Before the logout form goes: unsent scans are sent; if some still cannot be sent the user is
// asked (with their number) whether to stay or lose them; then the steward's database is deleted.
// The server is asked to clear the site's whole storage (Clear-Site-Data) only when no registered
// device lives in this browser (its token and outbox are not the steward's to delete).
import * as offline from "./checkin-offline.js";

const form = document.getElementById("logout-form");
const cfg = JSON.parse(document.getElementById("logout-guard").textContent);

async function beforeLogout() {
  const deviceHere = await offline.exists(offline.DEVICE_DB).catch(() => true);
  if (await offline.exists(offline.STEWARD_DB).catch(() => true)) {
    offline.configure({ dbName: offline.STEWARD_DB });
    let pending = await offline.pendingCount().catch(() => 0);
    if (pending > 0 && navigator.onLine) {
      await offline.upload(cfg.sync_url).catch(() => false);
      pending = await offline.pendingCount().catch(() => pending);
    }
    if (pending > 0 && !window.confirm(cfg.unsent.replace("{count}", pending))) return false;
    await offline.wipe({ dbName: offline.STEWARD_DB, withCaches: !deviceHere });
  }
  if (!deviceHere) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "clear_site_data";
    input.value = "1";
    form.append(input);
  }
  return true;
}

if (form && window.indexedDB) {
  form.addEventListener("submit", async (ev) => {
    if (form.dataset.checked === "1") return;
    // A browser that never held check-in data logs out at once (its storage holds nothing of ours).
    if (!offline.holds(offline.STEWARD_DB) && !offline.holds(offline.DEVICE_DB)) return;
    ev.preventDefault();
    let go = true;
    try {
      go = await beforeLogout();
    } catch (e) {
      go = true; // nothing readable to protect: log out as asked
    }
    if (!go) return;
    form.dataset.checked = "1";
    form.submit();
  });
}
