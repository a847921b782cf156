// /api/v1/docs: Swagger UI (vendored) reading the API's OpenAPI document.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: true });
})();
