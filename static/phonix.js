/* Site-wide behaviour: the colour mode switch and chart colours that follow it. */
(function () {
  "use strict";
  const root = document.documentElement;
  const COOKIE = "phonix_theme";

  function css(name) {
    return getComputedStyle(root).getPropertyValue(name).trim();
  }

  // Chart.js reads its default colours when a chart updates: point them at the theme's.
  function chartsFollowTheme() {
    if (typeof Chart === "undefined") return;
    Chart.defaults.color = css("--bs-body-color");
    Chart.defaults.borderColor = css("--bs-border-color-translucent") || css("--bs-border-color");
    Object.values(Chart.instances || {}).forEach(function (chart) { chart.update("none"); });
  }

  function themeSet(theme) {
    root.setAttribute("data-bs-theme", theme);
    const secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = COOKIE + "=" + theme + "; Path=/; Max-Age=31536000; SameSite=Lax" + secure;
    const button = document.getElementById("theme-toggle");
    if (button) {
      const other = theme === "dark" ? "light" : "dark";
      button.value = other;
      button.textContent = button.dataset["label" + other.charAt(0).toUpperCase() + other.slice(1)];
    }
    chartsFollowTheme();
    document.dispatchEvent(new CustomEvent("phonix:theme", { detail: { theme: theme } }));
  }

  document.addEventListener("DOMContentLoaded", function () {
    chartsFollowTheme();
    const form = document.getElementById("theme-form");
    if (form) {
      // Without this script the form posts and the server sets the same cookie.
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        themeSet(document.getElementById("theme-toggle").value);
      });
    }
  });
})();

/* Behaviour pages used to write inline (the Content-Security-Policy runs only scripts from files). */
(function () {
  "use strict";

  // <select data-submit-on-change>: choosing an option sends its form (the language switch).
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-submit-on-change]")) {
      event.target.form.submit();
    }
  });

  // <button data-copy-from="field-id" data-copied="Copied">: copy the field's text.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy-from]");
    if (!button) {
      return;
    }
    const field = document.getElementById(button.dataset.copyFrom);
    field.select();
    (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.resolve(document.execCommand("copy")))
      .then(function () { button.textContent = button.dataset.copied; });
  });
})();
