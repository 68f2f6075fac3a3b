// Polls the progress of a bulk certificate job and updates the progress bar; reloads when done.
const box = document.getElementById("certificate-job");
if (box) {
  const bar = box.querySelector("progress");
  const done = box.querySelector("[data-done]");
  const total = box.querySelector("[data-total]");
  const state = box.querySelector("[data-state]");
  const poll = async () => {
    try {
      const resp = await fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!resp.ok) return;
      const job = await resp.json();
      bar.max = job.total;
      bar.value = job.done;
      bar.textContent = `${job.percent}%`;
      done.textContent = job.done;
      total.textContent = job.total;
      if (job.status === "finished" || job.status === "failed") {
        window.location.reload();
        return;
      }
      state.textContent = state.textContent.trim();
    } catch (err) {
      // offline for a moment: try again at the next tick
    }
    setTimeout(poll, 1500);
  };
  setTimeout(poll, 1000);
}
