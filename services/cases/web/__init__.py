"""The web app: built by esbuild into dist/ at set-up (`./dev` runs `npm ci` and `npm run
build`; no CDN: deployments sit on government intranets) and served by the case service.

The page logs in and reads the same JSON API as any client, so it holds no privilege of
its own. index.html and the service worker are never cached (they name the current
build); every other asset is named by its content hash and cached for a year, sent
precompressed (brotli, else gzip) to a browser that accepts it. docs/web-app.md explains
the source tree.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request, send_file

HERE = Path(__file__).parent
DIST = HERE / "dist"
# app.config key that points the blueprint at another build (tests of a missing build).
DIST_SETTING = "CARELEDGER_WEB_DIST"
# app.config key of the notify inbox's address as browsers reach it (settings.notify_url).
NOTIFY_URL_SETTING = "CARELEDGER_NOTIFY_URL"

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
# The encodings build.mjs writes beside each asset, in the order the service prefers.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))

blueprint = Blueprint("web", __name__)

# Endpoints the page itself needs before anyone has logged in.
PUBLIC_ENDPOINTS = {
    "web.index",
    "web.index_without_slash",
    "web.asset",
    "web.service_worker",
    "web.config",
}


def _dist() -> Path:
    return Path(current_app.config.get(DIST_SETTING, DIST))


def _built() -> Path:
    dist = _dist()
    if not (dist / "index.html").is_file():
        abort(
            503,
            "The web app is not built: run ./dev demo (or npm ci && npm run build in "
            "services/cases/web).",
        )
    return dist


def _accepts(encoding: str) -> bool:
    return request.accept_encodings[encoding] > 0


def _send(path: Path, cache_control: str) -> Response:
    """`path`, or its precompressed copy when the browser accepts that encoding."""
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mimetype.startswith("text/") or mimetype.endswith(("javascript", "json")):
        mimetype = f"{mimetype}; charset=utf-8"
    chosen, encoding = path, None
    for name, suffix in ENCODINGS:
        candidate = path.with_name(path.name + suffix)
        if _accepts(name) and candidate.is_file():
            chosen, encoding = candidate, name
            break
    response = send_file(chosen, mimetype=mimetype, conditional=True, etag=True)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = cache_control
    return response


def _inside(folder: Path, name: str) -> Path:
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents or not path.is_file() or path.suffix in (".br", ".gz"):
        abort(404)
    return path


@blueprint.get("/dashboard")
def index_without_slash() -> Any:
    """To the app's own address: the service worker's scope is `/dashboard/`, and only a
    page inside it works offline (the browser keeps the `#/…` part across the redirect)."""
    return redirect("/dashboard/", code=308)


@blueprint.get("/dashboard/")
def index() -> Any:
    """The app's page (no-cache: it names the current build's assets)."""
    return _send(_built() / "index.html", NO_CACHE)


@blueprint.get("/dashboard/assets/<path:filename>")
def asset(filename: str) -> Any:
    """A script, style or chunk of the build, named by its content hash: cached for good."""
    return _send(_inside(_built() / "assets", filename), IMMUTABLE)


@blueprint.get("/dashboard/sw.js")
def service_worker() -> Any:
    """The service worker, at a fixed address so the browser can update it in place."""
    path = _built() / "sw.js"
    if not path.is_file():
        abort(404)
    response = _send(path, NO_CACHE)
    response.headers["Service-Worker-Allowed"] = "/dashboard/"
    return response


@blueprint.get("/dashboard/config.json")
def config() -> Any:
    """What the app learns at run time: where the notification inbox is (null: no bell)."""
    response = jsonify({"notify_url": current_app.config.get(NOTIFY_URL_SETTING) or None})
    response.headers["Cache-Control"] = NO_CACHE
    return response
