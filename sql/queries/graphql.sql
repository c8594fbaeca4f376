-- What the GraphQL function reads, each a batch: one statement however many spots or users a
-- query names (the dataloaders collect the keys). Runs as the caller: row-level security
-- decides what is seen. Writes are parkshare.ops (ops.sql), the calls the REST functions make.

-- name: spots
SELECT coalesce(json_agg(v.spot ORDER BY v.n), '[]'::json) AS spots
FROM parkshare.spot_views_v2(%(start)s, %(end)s, %(available_only)s) WITH ORDINALITY v(spot, n)

-- name: spots_by_id
SELECT coalesce(json_agg(v.spot), '[]'::json) AS spots
FROM parkshare.spot_views_v2(%(start)s, %(end)s, false) v(spot)
WHERE (v.spot->>'id')::uuid = ANY(%(ids)s)

-- name: users_by_id
SELECT id, display_name, role FROM parkshare.users WHERE id = ANY(%(ids)s)

-- name: next_reservations
-- One ordered probe per spot (reservations_spot_upcoming_idx), not every upcoming booking.
SELECT s.id AS spot_id, n.start_at AS start, n.end_at AS "end",
       n.user_id = parkshare.ps_user() AS mine
FROM unnest(%(ids)s::uuid[]) AS s(id)
CROSS JOIN LATERAL (
    SELECT r.start_at, r.end_at, r.user_id FROM parkshare.reservations r
    WHERE r.spot_id = s.id AND r.status = 'booked' AND r.end_at > now()
    ORDER BY r.start_at LIMIT 1) n

-- name: my_reservations
SELECT r.id, r.spot_id, r.user_id, r.start_at AS start, r.end_at AS "end",
       r.status, r.cost
FROM parkshare.reservations r
WHERE r.user_id = parkshare.ps_user()
  AND (%(status)s::text IS NULL OR r.status = %(status)s)
  AND r.end_at > %(start)s AND r.start_at < %(end)s
ORDER BY r.start_at
LIMIT %(limit)s

-- name: building
SELECT id, name, timezone, cost, starting_credits, max_hours, horizon_days,
       checkin_grace_minutes, no_show_owner_share
FROM parkshare.buildings WHERE id = parkshare.ps_building()

-- name: recurring_by_spot
SELECT spot_id, summary FROM parkshare.recurring_summaries(%(ids)s)
