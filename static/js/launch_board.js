// Keeps the launch ceremony board up to date: polls its JSON every few seconds (no library).
// Numbers in the page's language (1.234 in Vietnamese).
const formatNumber = (n) => (typeof n === "number" ? new Intl.NumberFormat(document.documentElement.lang || "vi").format(n) : n);
const board = document.getElementById("launch-board");
const live = document.getElementById("board-live");
const yes = document.documentElement.lang === "en" ? "Yes" : "Có";
const no = document.documentElement.lang === "en" ? "No" : "Không";
let last = null;

async function refresh() {
  try {
    const resp = await fetch(board.dataset.url, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!resp.ok) return;
    const data = await resp.json();
    for (const key of ["connected", "ready", "total"]) {
      document.querySelectorAll(`[data-count="${key}"]`).forEach((el) => { el.textContent = formatNumber(data[key]); });
    }
    for (const point of data.points) {
      const row = document.querySelector(`tr[data-point="${point.id}"]`);
      if (!row) continue;
      const ready = row.querySelector('[data-state="ready"]');
      const connected = row.querySelector('[data-state="connected"]');
      if (ready) ready.textContent = point.ready ? yes : no;
      if (connected && !point.connected) connected.textContent = no;
      else if (connected && !connected.textContent.startsWith(yes)) connected.textContent = yes;
    }
    const summary = `${data.connected}/${data.total}`;
    if (last !== null && summary !== last) live.textContent = summary;
    last = summary;
    board.dataset.updated = String(Date.now());
  } catch (err) {
    // offline for a moment: try again at the next tick
  }
}

if (board) {
  refresh();
  setInterval(refresh, 5000);
}
