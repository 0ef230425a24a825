/* Charts and small conveniences for the mining calculator; results themselves come from htmx. */
(function () {
  "use strict";
  const charts = {};

  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function draw(canvasId, config) {
    if (charts[canvasId]) charts[canvasId].destroy();
    const canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined") return;
    charts[canvasId] = new Chart(canvas, config);
  }

  function drawProjection() {
    const d = data("projection-data");
    if (!d) return;
    draw("projection-chart", {
      data: {
        labels: d.labels,
        datasets: [
          { type: "line", label: d.names.cumulative, data: d.cumulative.map(Number), borderColor: "#198754", tension: 0.2 },
          { type: "line", label: d.names.hardware, data: d.labels.map(() => Number(d.hardware)), borderColor: "#dc3545", borderDash: [6, 4], pointRadius: 0 },
          { type: "bar", label: d.names.monthly, data: d.monthly.map(Number), backgroundColor: "rgba(13, 110, 253, 0.35)" },
        ],
      },
      options: {
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { x: { title: { display: true, text: d.names.x } } },
      },
    });
  }

  function drawHistory() {
    const d = data("history-data");
    if (!d) return;
    const options = { maintainAspectRatio: false, spanGaps: true };
    const num = (v) => (v === null ? null : Number(v));
    draw("history-price", { type: "line", data: { labels: d.labels, datasets: [{ label: d.names.price, data: d.price.map(num), borderColor: "#fd7e14", pointRadius: 0 }] }, options: options });
    const tera = { maintainAspectRatio: false, spanGaps: true, scales: { y: { ticks: { callback: (v) => (v / 1e12).toFixed(1) + " T" } } } };
    draw("history-difficulty", { type: "line", data: { labels: d.labels, datasets: [{ label: d.names.difficulty, data: d.difficulty.map(num), borderColor: "#6f42c1", pointRadius: 0, stepped: true }] }, options: tera });
  }

  // A catalogue model brings its own hashrate and power; the custom fields only count for "Custom".
  function toggleCustom() {
    const miner = document.getElementById("id_miner");
    if (!miner) return;
    ["id_hashrate_ths", "id_power_w"].forEach(function (id) {
      const input = document.getElementById(id);
      if (input) input.disabled = miner.value !== "";
    });
  }

  // htmx replaces only the results, so errors printed under the inputs when the page loaded would
  // stay after the member fixed them: keep only those the latest answer still reports.
  function clearStaleErrors(event) {
    const results = event.detail && event.detail.target;
    if (!results || !["calc-results", "compare-table"].includes(results.id)) return;
    const form = document.getElementById(results.id === "calc-results" ? "calculator-form" : "compare-form");
    if (!form) return;
    const current = new Set(Array.from(results.querySelectorAll("[data-field]")).map((li) => li.dataset.field));
    form.querySelectorAll(".is-invalid").forEach(function (input) {
      if (current.has(input.name)) return;
      input.classList.remove("is-invalid");
      const wrapper = input.closest(".mb-3") || input.parentElement;
      wrapper.querySelectorAll(".invalid-feedback").forEach((el) => el.remove());
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawProjection();
    drawHistory();
    toggleCustom();
    const miner = document.getElementById("id_miner");
    if (miner) miner.addEventListener("change", toggleCustom);
  });
  document.addEventListener("htmx:afterSettle", drawProjection);
  document.addEventListener("htmx:afterSettle", clearStaleErrors);
})();
