// django-celery-beat's periodic task form: show the chosen crontab in words under the field.
(function () {
  "use strict";
  const readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const field = document.getElementById("id_crontab");
  const help = document.querySelector(".field-crontab .help");
  const translation = document.querySelector(".field-crontab_translation");
  if (translation) {
    translation.style.display = "none";
  }
  if (!field || !help) {
    return;
  }
  const original = help.textContent;
  field.addEventListener("change", function () {
    help.textContent = original + (readable[field.value] ? " — " + readable[field.value] : "");
  });
})();
