"""What both services' Flask apps share: the OpenAPI set-up and its bearer scheme."""

from __future__ import annotations

from typing import Any

# Swagger UI's assets are served by each app itself (swagger-ui-bundle): deployments sit
# on government intranets with no internet.
DOCS_ASSETS_URL = "/api/v1/docs-assets/"


def openapi_config(title: str, max_body_bytes: int) -> dict[str, Any]:
    """The Flask config flask-smorest reads: spec at /api/v1/openapi.json, docs at /api/v1/docs."""
    return {
        "MAX_CONTENT_LENGTH": max_body_bytes,
        "API_TITLE": title,
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": DOCS_ASSETS_URL,
    }


# Every call but login carries `Authorization: Bearer <token>`.
BEARER_SPEC: dict[str, Any] = {
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    },
    "security": [{"bearer": []}],
}
