"""Read models and the projector: the case list, the dashboard's counters and the
worklists, kept exactly once from the Cases notification log (see the README's "Read
models and the projector"). Modules are imported where used: the composition root imports
`store`, `personal` and `read_models`; the command line, `projector` and `rebuild`."""
