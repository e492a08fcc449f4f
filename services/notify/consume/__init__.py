"""Consuming the relay's stream: the consumer group, one transaction per batch, dead letters,
and the facts notify keeps per case and per user."""
