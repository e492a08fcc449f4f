"""End-to-end tests: the real processes, as compose.yaml starts them, under faults."""
