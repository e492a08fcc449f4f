"""Every CareLedger process, in one table: `careledger demo` supervises these, and
compose.yaml runs the same sub-commands as services."""

from __future__ import annotations

from .supervisor import ProcessSpec


def demo_processes(host: str, port: int) -> list[ProcessSpec]:
    """What runs on one machine for the demo."""
    return [
        ProcessSpec("cases-api", ("serve", "--host", host, "--port", str(port))),
        ProcessSpec("projector", ("cases", "project")),
        ProcessSpec("relay", ("cases", "relay")),
        ProcessSpec("notify", ("notify", "run")),
        # The inbox API beside the case API: 8001 with the default 8000.
        ProcessSpec("notify-api", ("notify", "serve", "--host", host, "--port", str(port + 1))),
    ]
