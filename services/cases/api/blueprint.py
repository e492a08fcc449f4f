"""The Blueprint every resource uses: flask-smorest's, with a stricter body parser."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    """Reads a body nested too deeply for the JSON parser as malformed JSON (400), not
    as a server error."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("the JSON is nested too deeply", "-", 0) from None


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """A flask-smorest Blueprint with CareLedger's argument parser."""

    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """flask-smorest's `arguments`, with a schema class made an instance once, here:
        given a class, webargs builds a new schema for every request (a marshmallow
        `Schema.__init__` deep-copies every declared field, and each nested schema again),
        which cost an identify six schemas and about 250 `deepcopy` calls. Loading is
        stateless, so one instance serves every request and thread."""
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)
