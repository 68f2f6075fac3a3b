// Polls a background job's status and updates its progress bar and status line (read out by screen
// readers through aria-live). When the job is done it goes to the next page, or shows the download link.
// Numbers in the page's language (1.234 in Vietnamese).
const formatNumber = (n) => (typeof n === "number" ? new Intl.NumberFormat(document.documentElement.lang || "vi").format(n) : n);
const box = document.getElementById("job");
if (box) {
  const bar = box.querySelector("progress");
  const state = box.querySelector("[data-state]");
  const percent = box.querySelector("[data-percent]");
  const message = box.querySelector("[data-message]");
  const error = box.querySelector("[data-error]");
  const ready = box.querySelector("[data-ready]");
  const filename = box.querySelector("[data-filename]");
  const reload = box.querySelector("[data-reload]");
  const more = box.querySelector("[data-continue]");
  const labels = {
    queued: box.dataset.labelQueued, running: box.dataset.labelRunning,
    done: box.dataset.labelDone, failed: box.dataset.labelFailed,
  };
  const finished = (status) => status === "done" || status === "failed";

  const show = (job) => {
    bar.max = Math.max(job.total, 1);
    bar.value = job.status === "done" ? bar.max : job.done;
    bar.textContent = `${job.percent}%`;
    state.textContent = labels[job.status] || job.status;
    percent.textContent = job.percent;
    const counts = box.querySelector("[data-done]");
    if (counts) counts.textContent = formatNumber(job.done);
    const total = box.querySelector("[data-total]");
    if (total) total.textContent = formatNumber(job.total);
    message.textContent = job.message ? ` · ${job.message}` : "";
    if (job.status === "failed") {
      error.textContent = job.error;
      error.classList.remove("d-none");
    }
    if (finished(job.status) && reload) reload.classList.add("d-none");
    if (job.status === "done" && job.output) {
      filename.textContent = job.output.filename;
      ready.classList.remove("d-none");
      ready.querySelector("a").focus();
    }
    if (finished(job.status) && job.next_url) {
      more.querySelector("a").href = job.next_url;
      more.classList.remove("d-none");
    }
  };

  if (box.dataset.status === "done" && box.dataset.next) {
    window.location.replace(box.dataset.next);
  } else {
    let delay = 700;
    const poll = async () => {
      try {
        const resp = await fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (resp.ok) {
          const job = await resp.json();
          show(job);
          if (finished(job.status)) {
            if (job.status === "done" && job.next_url && !job.output) window.location.assign(job.next_url);
            return;
          }
        }
      } catch (err) {
        // offline for a moment: try again at the next tick
      }
      delay = Math.min(delay * 1.5, 4000);
      setTimeout(poll, delay);
    };
    setTimeout(poll, 300);
  }
}
