-- Webhook delivery (parkshare.notify.webhooks), run by the worker without a tenant context.

-- name: claim
SELECT building_id, webhook_id, url, secret, outbox_id, event_id, type, data, created_at
FROM parkshare.webhook_claim(%(limit)s, %(lease_seconds)s)

-- name: attempted
SELECT outcome, attempt, outbox_id, event_id, type, data, created_at
FROM parkshare.webhook_attempted(%(building_id)s, %(webhook_id)s, %(outbox_id)s, %(status)s,
                                 %(error)s, %(duration_ms)s, %(lease_seconds)s)

-- name: log_prune
SELECT parkshare.webhook_log_prune(%(keep)s) AS pruned
