"""Tamper evidence for the case store (issue 9): every event's canonical form and the
per-aggregate hash chain written with it. docs/auditors.md describes the encoding byte
by byte; `canonical` is the one place that implements it."""
