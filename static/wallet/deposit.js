// Copy the deposit address to the clipboard and say so on the button.
(function () {
  const button = document.getElementById("copy-address");
  const field = document.getElementById("deposit-address");
  if (!button || !field) return;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(() => { button.textContent = button.dataset.copied; });
  });
})();
