// Behaviour shared by every page (no inline script: the Content-Security-Policy forbids it).
// <button data-print> opens the browser's print dialogue.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});

// A long list of checkboxes (<fieldset data-checklist>, e.g. 95 communes) becomes a searchable
// multi-select: the filter box, "select all shown", "clear" and the count are in the page (hidden
// until this script runs, translated there); matching ignores accents and đ (like core.text.fold).
const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
  .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase().trim();

function enhanceChecklist(fieldset) {
  const tools = fieldset.querySelector("[data-checklist-tools]");
  const filter = fieldset.querySelector("[data-checklist-filter]");
  const count = fieldset.querySelector("[data-checklist-count]");
  const shown = fieldset.querySelector("[data-checklist-shown]");
  const items = [...fieldset.querySelectorAll("[data-checklist-item]")];
  const boxes = () => items.map((item) => item.querySelector("input[type=checkbox]"));
  const update = () => {
    const selected = boxes().filter((box) => box.checked).length;
    count.textContent = count.dataset.template.replace("{n}", String(selected));
    const visible = items.filter((item) => !item.hidden).length;
    shown.textContent = shown.dataset.template.replace("{n}", String(visible)).replace("{total}", String(items.length));
  };
  const keys = new Map(items.map((item) => [item, fold(item.textContent)]));
  filter.addEventListener("input", () => {
    const wanted = fold(filter.value);
    for (const item of items) {
      item.hidden = wanted !== "" && !keys.get(item).includes(wanted);
    }
    update();
  });
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // Enter in the filter box must not submit the form
    }
  });
  fieldset.querySelector("[data-checklist-all]").addEventListener("click", () => {
    for (const item of items) {
      if (!item.hidden) item.querySelector("input[type=checkbox]").checked = true;
    }
    update();
  });
  fieldset.querySelector("[data-checklist-none]").addEventListener("click", () => {
    for (const box of boxes()) box.checked = false;
    update();
  });
  fieldset.addEventListener("change", update);
  tools.hidden = false;
  update();
}

document.querySelectorAll("fieldset[data-checklist]").forEach(enhanceChecklist);

// A table that scrolls sideways on a phone can be scrolled from the keyboard too (WCAG 2.1.1): the
// scrolling box becomes a focusable, named region.
function focusableScrollers() {
  document.querySelectorAll(".table-responsive").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      const caption = box.querySelector("caption");
      if (caption && !box.hasAttribute("aria-label")) {
        box.setAttribute("aria-label", caption.textContent.trim());
      }
    }
  });
}
focusableScrollers();
window.addEventListener("resize", focusableScrollers);
