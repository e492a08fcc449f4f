"""A JSON body is checked once, before any view reads it: nesting that would exhaust the
parser's stack, and strings that are not valid Unicode (a lone surrogate such as
"\\ud800" parses in Python but cannot be stored, hashed or logged), are refused with the
field path and the reason instead of failing deep inside a view with a 500."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from shared.http.problems import RequestError

# Far above any body the APIs accept (an identification nests four levels).
MAX_DEPTH = 32


def check_json_body() -> None:
    """Raises RequestError (400 or 422) when the request's JSON body is malformed in a
    way the framework's parser would let through or crash on; else returns."""
    if request.mimetype != "application/json":
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        body = json.loads(raw)
    except RecursionError:
        raise RequestError(400, "body", f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        return  # not JSON at all: the framework answers 400 "not valid JSON"
    _check(body, "", 0)


def _check(value: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise RequestError(400, path or "body", f"JSON nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        _check_text(value, path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, _join(path, "<key>"))
            _check(item, _join(path, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, _join(path, str(index)), depth + 1)


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(
            422, path, "Not valid Unicode text (it holds a lone surrogate)."
        ) from None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
