// Live fee and net amount under the withdraw form. The server computes the real figures;
// this only previews them, so an empty, negative or unreadable amount previews as zero.
(function () {
  const amount = document.getElementById("id_amount");
  const summary = document.getElementById("withdraw-summary");
  if (!amount || !summary) return;
  const percent = parseFloat(summary.dataset.fee) || 0;
  function update() {
    const typed = parseFloat(amount.value.replace(",", "."));
    const value = Number.isFinite(typed) ? Math.max(0, typed) : 0;
    const fee = Math.max(0, Math.floor(value * percent / 100 * 1e6) / 1e6);
    document.getElementById("withdraw-fee").textContent = fee.toFixed(2);
    document.getElementById("withdraw-net").textContent = Math.max(0, value - fee).toFixed(2);
  }
  amount.addEventListener("input", update);
  update();
})();
