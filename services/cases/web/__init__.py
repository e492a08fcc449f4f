"""The web dashboard: a page served by the case service itself, with its charting
library installed by npm at set-up (no CDN: deployments sit on government intranets).

The page is static; it logs in and reads the same JSON API as any client, so it holds
no privilege of its own. zh-CN by default, English switchable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, send_from_directory

HERE = Path(__file__).parent
STATIC = HERE / "static"
# echarts, installed by `npm ci` in this folder (./dev does it at set-up).
VENDOR = {"echarts.min.js": HERE / "node_modules" / "echarts" / "dist"}

blueprint = Blueprint("web", __name__)

# Endpoints the page itself needs before anyone has logged in.
PUBLIC_ENDPOINTS = {"web.dashboard", "web.static_file", "web.vendor_file"}


@blueprint.get("/dashboard")
@blueprint.get("/dashboard/")
def dashboard() -> Any:
    """The dashboard page."""
    return send_from_directory(STATIC, "dashboard.html", max_age=0)


@blueprint.get("/dashboard/static/<path:filename>")
def static_file(filename: str) -> Any:
    """The page's own scripts and styles."""
    return send_from_directory(STATIC, filename, max_age=0)


@blueprint.get("/dashboard/vendor/<string:filename>")
def vendor_file(filename: str) -> Any:
    """Third-party libraries the page uses, from node_modules."""
    folder = VENDOR.get(filename)
    if folder is None or not (folder / filename).exists():
        abort(404, "run ./dev demo (or npm ci in services/cases/web) to install the charts")
    return send_from_directory(folder, filename, max_age=3600)
