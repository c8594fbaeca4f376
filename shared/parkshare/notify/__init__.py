"""Telling people outside the app: mail from the deliveries table, and webhooks for the
building's integrations. The worker runs both (parkshare.live.jobs); the rows they work from
are written by PostgreSQL in the transaction of their cause."""
