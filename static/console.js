// The operator console's charts: data from json_script (<canvas data-console-chart data-source>),
// colours from the page's colour mode, so they follow the dark and light themes.
(function () {
  "use strict";

  const style = getComputedStyle(document.documentElement);
  const css = function (name, fallback) { return style.getPropertyValue(name).trim() || fallback; };
  const text = css("--bs-body-color", "#e6e8f0");
  const grid = css("--bs-border-color", "#3a3f58");
  // The accent first, then Bootstrap's own palette of the active mode.
  const palette = [css("--phonix-accent", "#f7931a"), css("--bs-info", "#0dcaf0"), css("--bs-success", "#198754"),
                   css("--bs-danger", "#dc3545"), css("--bs-warning", "#ffc107"), css("--bs-secondary", "#6c757d")];

  Chart.defaults.color = text;
  Chart.defaults.borderColor = grid;

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
        plugins: {legend: {display: data.datasets.length > 1, labels: {color: text}}},
        scales: {x: {stacked: stacked, ticks: {color: text}, grid: {color: grid}},
                 y: {stacked: stacked, beginAtZero: true, ticks: {color: text}, grid: {color: grid}}},
      },
    });
  });
})();
