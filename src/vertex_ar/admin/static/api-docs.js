// Starts Swagger UI or ReDoc on /openapi.json; the pages load both libraries from this server.
"use strict";
const swagger = document.getElementById("swagger-ui");
if (swagger && window.SwaggerUIBundle) {
  window.SwaggerUIBundle({ url: swagger.dataset.openapi, dom_id: "#swagger-ui", deepLinking: true });
}
const redoc = document.getElementById("redoc");
if (redoc && window.Redoc) {
  window.Redoc.init(redoc.dataset.openapi, {}, redoc);
}
