"""Deciding what is notified and to whom: the facts rules read (per case, and notify's
directory of users), the rules, their wording, the inbox and outbox rows, the scheduler's
time-based rules and webhook subscriptions. Consuming builds on this package, never the
reverse."""
