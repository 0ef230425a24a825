// The referral link on the dashboard: copy it, or share it where the browser can (phones).
(function () {
  const field = document.getElementById("dashboard-referral-link");
  if (!field) return;
  const copy = document.getElementById("referral-copy");
  copy.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () { copy.textContent = copy.dataset.copied; });
  });
  const share = document.getElementById("referral-share");
  if (navigator.share) {
    share.classList.remove("d-none");
    share.addEventListener("click", function () {
      navigator.share({ title: share.dataset.title, url: field.value }).catch(function () {});
    });
  }
})();
