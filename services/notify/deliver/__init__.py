"""Delivering the outbox: webhook and e-mail workers, their senders, and sealed secrets."""
