"""Running and operating notify: `careledger notify …`, the supervised process, reconciliation
against the event log."""
