// ReDoc for /api/v1/docs/redoc/: the schema address comes from the page, no inline script.
"use strict";
(function () {
  const container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.schemaUrl, {}, container);
})();
