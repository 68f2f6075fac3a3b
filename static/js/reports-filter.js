// The dashboard's commune ranking: filter by name (accents ignored), lagging and remote communes.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase().trim();
  }

  function setup(tableId) {
    const table = document.getElementById(tableId);
    const search = document.querySelector('[data-filter-table="' + tableId + '"]');
    if (!table || !search) {
      return;
    }
    const lagging = document.querySelector('[data-filter-lagging="' + tableId + '"]');
    const remote = document.querySelector('[data-filter-remote="' + tableId + '"]');
    const count = document.getElementById(tableId + "-count");
    const rows = Array.from(table.tBodies[0].rows);
    const template = count ? count.dataset.template : "";

    function apply() {
      const q = fold(search.value);
      let shown = 0;
      rows.forEach(function (row) {
        const ok = (!q || fold(row.dataset.name || row.textContent).indexOf(q) !== -1) &&
          (!lagging || !lagging.checked || row.dataset.lagging === "1") &&
          (!remote || !remote.checked || row.dataset.remote === "1");
        row.hidden = !ok;
        if (ok) {
          shown += 1;
        }
      });
      if (count && template) {
        count.textContent = template.replace("{n}", String(shown)).replace("{t}", String(rows.length));
      }
    }

    [search, lagging, remote].forEach(function (el) {
      if (el) {
        el.addEventListener("input", apply);
        el.addEventListener("change", apply);
      }
    });
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setup("communes");
  });
}());
