"""What every answer from the read models carries: the log position it reflects, and
whether that is short of the `min_position` asked for (then 200 all the same, with
`X-Read-Model-Behind: true`: a slightly stale figure is more use than none, and the
client can ask again)."""

from __future__ import annotations

from typing import Any

from ..projections.read_models import Served


def served_headers(served: Served[Any]) -> dict[str, str]:
    """The read-your-writes headers of an answer."""
    return {
        "X-Read-Model-Position": str(served.position),
        "X-Read-Model-Behind": "true" if served.behind else "false",
    }
