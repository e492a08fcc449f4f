"""Deciding what is notified and to whom: the rules, their wording, the inbox and outbox rows,
the scheduler's time-based rules and webhook subscriptions."""
