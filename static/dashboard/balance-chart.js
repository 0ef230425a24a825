// The dashboard's balance and earnings chart: 365 days come with the page (json_script); the
// 30 / 90 / 365 buttons show the last part of them. Colours follow the theme (phonix.js).
(function () {
  "use strict";
  const canvas = document.getElementById("balance-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(document.getElementById("balance-chart-data").textContent);
  const accent = getComputedStyle(document.documentElement).getPropertyValue("--phonix-accent").trim() || "#f7931a";

  function slice(days) {
    const from = Math.max(data.labels.length - days, 0);
    return {
      labels: data.labels.slice(from),
      datasets: [
        {type: "line", label: canvas.dataset.labelBalance, data: data.balance.slice(from).map(Number),
         borderColor: accent, backgroundColor: accent, pointRadius: 0, tension: 0.2, yAxisID: "y"},
        {type: "bar", label: canvas.dataset.labelEarned, data: data.earned.slice(from).map(Number),
         backgroundColor: "#20c997", yAxisID: "y"},
      ],
    };
  }

  const chart = new Chart(canvas, {
    data: slice(30),
    options: {maintainAspectRatio: false, interaction: {mode: "index", intersect: false},
              scales: {y: {beginAtZero: true}}},
  });

  document.querySelectorAll("#balance-chart-range [data-days]").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll("#balance-chart-range [data-days]").forEach(function (other) {
        other.classList.toggle("active", other === button);
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
      chart.data = slice(Number(button.dataset.days));
      chart.update();
    });
  });
})();
