// Bar charts drawn from data the page puts in a JSON <script> (json_script): <canvas
// data-chart="levels|earnings" data-source="id of the JSON" data-label="series label">.
(function () {
  "use strict";

  const options = {
    levels: {maintainAspectRatio: false, plugins: {legend: {display: false}},
             scales: {y: {beginAtZero: true, ticks: {precision: 0}}}},
    earnings: {maintainAspectRatio: false, scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true}}},
  };

  function datasetsFor(kind, canvas, data) {
    if (kind === "levels") {
      return {labels: data.labels, datasets: [{label: canvas.dataset.label, data: data.counts, backgroundColor: "#0d6efd"}]};
    }
    return data;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const kind = canvas.dataset.chart;
    const data = JSON.parse(document.getElementById(canvas.dataset.source).textContent);
    new Chart(canvas, {type: "bar", data: datasetsFor(kind, canvas, data), options: options[kind]});
  });
})();
