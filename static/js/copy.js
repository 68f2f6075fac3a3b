// Copy buttons: <button data-copy="#input-id">. Falls back to selecting the text.
for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const input = document.querySelector(button.dataset.copy);
    if (!input) return;
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      button.dataset.label ??= button.textContent;
      button.textContent = document.documentElement.lang === "vi" ? "Đã chép" : "Copied";
      setTimeout(() => { button.textContent = button.dataset.label; }, 2000);
    } catch {
      document.execCommand?.("copy");
    }
  });
}
