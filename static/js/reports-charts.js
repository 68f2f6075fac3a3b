// Draws the dashboard's charts (Chart.js, served from static/vendor) from the JSON the page carries.
// The same numbers are in the tables below them, for screen readers and printing.
(function () {
  "use strict";
  function draw() {
    const node = document.getElementById("chart-data");
    if (!node || typeof window.Chart === "undefined") { return; }
    const d = JSON.parse(node.textContent);
    const byCommune = document.getElementById("chart-communes");
    if (byCommune) {
      new window.Chart(byCommune, {
        type: "bar",
        data: {
          labels: d.communes,
          datasets: [{
            label: d.labels.progress,
            data: d.progress.map(function (p) { return Math.round(p * 1000) / 10; }),
            backgroundColor: d.lagging.map(function (l) { return l ? "#b35c00" : "#0d6efd"; })
          }]
        },
        options: { indexAxis: "y", animation: false, maintainAspectRatio: false,
                   scales: { x: { min: 0, max: 100 } }, plugins: { legend: { display: false } } }
      });
    }
    const trend = document.getElementById("chart-trend");
    if (trend) {
      const colours = { registrations: "#0d6efd", certificates_issued: "#198754", people_helped: "#b35c00" };
      new window.Chart(trend, {
        type: "line",
        data: {
          labels: d.weeks,
          datasets: Object.keys(d.series).map(function (k) {
            return { label: d.labels[k], data: d.series[k], borderColor: colours[k], backgroundColor: colours[k] };
          })
        },
        options: { animation: false, maintainAspectRatio: false }
      });
    }
    document.documentElement.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
