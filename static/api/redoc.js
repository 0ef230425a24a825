// ReDoc for /api/v1/docs/redoc/: the schema address comes from the page, no inline script.
// Search runs in a worker made from a blob: URL, which the page's script policy refuses, so it is
// off here (Swagger UI at /api/v1/docs/ has its own filter).
"use strict";
(function () {
  const container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.schemaUrl, { disableSearch: true }, container);
})();
