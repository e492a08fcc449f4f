"""Consuming the relay's stream: the consumer group, one transaction per batch, dead letters,
and handing each entry to routing (after it updates the case facts kept in the database)."""
