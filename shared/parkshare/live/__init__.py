"""The live path: the event stream's one codec (stream), the outbox publisher
(events), the worker's queue and timer (schedule), the worker and its jobs (jobs) and the
relay that serves the stream to browsers (relay)."""
