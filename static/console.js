// The operator console's charts: data from json_script (<canvas data-console-chart data-source>).
// Text and grid colours are Chart.js defaults, which phonix.js points at the active theme (and
// updates when it is switched); the series take the accent, then Bootstrap's palette.
(function () {
  "use strict";

  const style = getComputedStyle(document.documentElement);
  const css = function (name, fallback) { return style.getPropertyValue(name).trim() || fallback; };
  const palette = [css("--phonix-accent", "#f7931a"), css("--bs-info", "#0dcaf0"), css("--bs-success", "#198754"),
                   css("--bs-danger", "#dc3545"), css("--bs-warning", "#ffc107"), css("--bs-secondary", "#6c757d")];

  document.querySelectorAll("canvas[data-console-chart]").forEach(function (canvas) {
    const data = JSON.parse(document.getElementById(canvas.dataset.source).textContent);
    const stacked = canvas.dataset.stacked === "true";
    data.datasets.forEach(function (dataset, i) {
      dataset.backgroundColor = palette[i % palette.length];
    });
    new Chart(canvas, {
      type: "bar",
      data: data,
      options: {
        maintainAspectRatio: false,
        plugins: {legend: {display: data.datasets.length > 1}},
        scales: {x: {stacked: stacked}, y: {stacked: stacked, beginAtZero: true}},
      },
    });
  });
})();
