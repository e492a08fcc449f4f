"""The API documentation page (Swagger UI at /api/v1/docs), served without inline
script so that it runs under the same first-party Content-Security-Policy as everything
else: flask-smorest's own page starts Swagger UI from an inline <script>, so ours loads a
small start-up file from the app instead."""

from __future__ import annotations

from html import escape
from typing import Any

from flask import Flask, Response, current_app

DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
INIT_ENDPOINT = "docs_init"
INIT_PATH = "/api/v1/docs-init.js"

_INIT_SCRIPT = """\
// Starts Swagger UI on this service's own OpenAPI document.
window.ui = window.SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui" });
"""

_PAGE = """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{assets}swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets}swagger-ui-bundle.js"></script>
  <script src="{init}"></script>
</body>
</html>
"""


def install_docs_page(app: Flask, assets_url: str) -> None:
    """Replaces flask-smorest's Swagger UI page by one with no inline script, and serves
    its start-up script."""

    def docs_page() -> Any:
        title = escape(current_app.config["API_TITLE"])
        return Response(
            _PAGE.format(title=title, assets=assets_url, init=INIT_PATH), mimetype="text/html"
        )

    def docs_init() -> Any:
        return Response(_INIT_SCRIPT, mimetype="text/javascript")

    app.view_functions[DOCS_ENDPOINT] = docs_page
    app.add_url_rule(INIT_PATH, endpoint=INIT_ENDPOINT, view_func=docs_init, methods=["GET"])
