-- The outbox publisher, the scheduled jobs and the sweep (parkshare.live.events, parkshare.live.jobs).

-- name: claim
-- The building's waiting events, if this transaction takes its publishing lock (no lock, no
-- rows; the rows are read after the lock is taken).
SELECT id, user_id, type, data, created_at
FROM parkshare.outbox_take(%(building_id)s, %(limit)s)

-- name: published
SELECT parkshare.outbox_published(%(ids)s, %(stream_ids)s) AS marked

-- name: waiting
SELECT b AS building_id FROM parkshare.outbox_waiting() b

-- name: prune
SELECT parkshare.outbox_prune(%(keep)s) AS pruned

-- name: idempotency_prune
SELECT parkshare.idempotency_prune(%(keep)s) AS pruned

-- name: reservation_started
SELECT parkshare.reservation_started(%(reservation_id)s) AS outcome

-- name: reservation_ended
SELECT parkshare.reservation_ended(%(reservation_id)s) AS outcome

-- name: sweep
SELECT to_jsonb(s) AS swept FROM parkshare.sweep_due() s

-- name: next_moment
SELECT parkshare.next_moment() AS at

-- name: waiting_in
SELECT parkshare.outbox_waiting_in(%(building_id)s) AS waiting

-- name: materialise
-- Patterns' occurrences up to each building's horizon (idempotent; catches up after downtime).
SELECT parkshare.materialise_patterns() AS materialised

-- name: remind
-- Every reminder that has come, as a notification (idempotent; each fired once).
SELECT parkshare.remind_due() AS reminded

-- name: first_reminder
SELECT parkshare.first_reminder(%(building_id)s, %(reservations)s) AS at

-- name: expire_requests
-- Waiting requests whose window has started (idempotent).
SELECT parkshare.expire_requests() AS expired

-- name: no_shows
-- Bookings whose check-in window closed with nobody checked in (idempotent).
SELECT parkshare.mark_no_shows() AS no_shows
