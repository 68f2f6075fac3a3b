// Live counts: the figures are fetched again every 15 seconds and updated in place (no page reload).
// Numbers in the page's language (1.234 in Vietnamese).
const formatNumber = (n) => (typeof n === "number" ? new Intl.NumberFormat(document.documentElement.lang || "vi").format(n) : n);
const table = document.getElementById("live-counts");

async function refresh() {
  try {
    const resp = await fetch(table.dataset.url, { headers: { "X-Checkin-Client": "counts" }, credentials: "same-origin" });
    if (!resp.ok) return;
    const data = await resp.json();
    for (const c of data.counts) {
      const reg = table.querySelector(`[data-registered="${c.event_id}"]`);
      const done = table.querySelector(`[data-checked-in="${c.event_id}"]`);
      if (reg) reg.textContent = formatNumber(c.registered);
      if (done) done.textContent = formatNumber(c.checked_in);
    }
    table.dataset.updated = String(Date.now());
  } catch (e) {
    /* offline for a moment: keep the last figures */
  }
}

setInterval(refresh, 15000);
