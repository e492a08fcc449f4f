"""Per-case keys (crypto-shredding): each case's personal data is sealed under a key of
its own, kept apart from the events and wrapped by a master key that can be rotated
without rewriting an event. Erasing a case destroys its key. docs/personal-data.md."""
