"""Every CareLedger process, in one table: `careledger demo` supervises these, and
compose.yaml runs the same sub-commands as services."""

from __future__ import annotations

from .supervisor import ProcessSpec


def demo_processes(host: str, port: int) -> list[ProcessSpec]:
    """What runs on one machine for the demo."""
    return [
        # The web app's bell reads the inbox beside it (notify allows the case API's origin).
        ProcessSpec(
            "cases-api",
            (
                "serve",
                *("--host", host, "--port", str(port)),
                *("--notify-url", f"http://{_local(host)}:{port + 1}"),
            ),
        ),
        ProcessSpec("projector", ("cases", "project")),
        ProcessSpec("relay", ("cases", "relay")),
        ProcessSpec("sealer", ("audit", "sealer")),  # signed checkpoints (docs/auditors.md)
        # The child's calendar: 16th birthdays flagged for closure (docs/register.md).
        ProcessSpec("calendar", ("cases", "calendar")),
        ProcessSpec("notify", ("notify", "run")),
        # The inbox API beside the case API (8001 with the default 8000), asking it
        # whether each token still holds.
        ProcessSpec(
            "notify-api",
            (
                "notify",
                "serve",
                *("--host", host, "--port", str(port + 1)),
                *("--cases-url", f"http://{_local(host)}:{port}"),
            ),
        ),
    ]


def _local(host: str) -> str:
    # A server listening on every address is reached on the loopback one.
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
