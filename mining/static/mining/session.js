/* The mining card: a live countdown and progress bar, and a start button that submits once. */
(function () {
  "use strict";

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const pad = (n) => String(n).padStart(2, "0");
    return Math.floor(s / 3600) + ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
  }

  function tick(card) {
    const bar = card.querySelector("progress[data-ends-at]");
    if (!bar) return;
    const endsAt = Date.parse(bar.dataset.endsAt);
    const total = Number(bar.dataset.total);
    const countdown = card.querySelector("[data-countdown]");
    function update() {
      const left = Math.max(0, (endsAt - Date.now()) / 1000);
      bar.value = total - left;
      if (countdown) countdown.textContent = clock(left);
      if (left <= 0) {
        const note = card.querySelector("[data-ended-note]");
        if (note) note.hidden = false;
        return false;
      }
      return true;
    }
    if (update()) {
      const timer = setInterval(() => { if (!update()) clearInterval(timer); }, 1000);
    }
  }

  document.querySelectorAll(".mining-card").forEach(tick);
  // A second click while the first request is on its way would only be refused by the server.
  document.querySelectorAll("button[data-once]").forEach((button) => {
    button.form.addEventListener("submit", () => { button.disabled = true; });
  });
})();
