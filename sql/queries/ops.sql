-- The writes REST functions and GraphQL mutations share (parkshare.ops): one call into a
-- procedure each, with the answer shaped as the public contract has it.

-- name: reserve
SELECT parkshare.reserve_request(%(spot_id)s, %(start)s, %(end)s, %(key)s, %(request_hash)s)
    AS reservation

-- name: cancel
SELECT parkshare.ps_reservation_json(r) AS reservation FROM parkshare.cancel(%(reservation_id)s) r

-- name: add_spot
SELECT parkshare.ps_spot_json(s) AS spot
FROM parkshare.add_spot(%(label)s, %(location)s, %(notes)s) s

-- name: set_availability
SELECT coalesce(jsonb_agg(jsonb_build_object('start', parkshare.ps_iso(start_at),
                                             'end', parkshare.ps_iso(end_at))
                          ORDER BY start_at), '[]'::jsonb) AS availability
FROM parkshare.set_availability(%(spot_id)s, %(start)s, %(end)s, %(available)s,
                                %(cancel_reservations)s)

-- name: update_profile
SELECT parkshare.update_profile(%(display_name)s) AS user

-- name: settle
SELECT parkshare.settle_due() AS settled

-- name: settle_building
SELECT parkshare.settle_building() AS settled

-- name: create_pattern
SELECT parkshare.ps_pattern_json(p) AS pattern
-- The casts: psycopg sends a large Python int as bigint, which matches no integer parameter;
-- cast, it is refused as out of range (invalid_request) instead.
FROM parkshare.create_pattern(%(spot_id)s, %(weekdays)s::integer[], %(from)s, %(until)s,
                              %(every_weeks)s::integer, %(starts_on)s, %(ends_on)s) p

-- name: pause_pattern
SELECT parkshare.ps_pattern_json(p) AS pattern
FROM parkshare.pause_pattern(%(pattern_id)s, %(start_date)s, %(end_date)s,
                             %(cancel_reservations)s) p

-- name: stop_pattern
SELECT parkshare.ps_pattern_json(p) AS pattern
FROM parkshare.stop_pattern(%(pattern_id)s, %(cancel_reservations)s) p

-- name: adjust_credits
-- An admin's grant (positive) or deduction (negative), answered with the amount as asked.
SELECT jsonb_build_object(
           'id', g.id, 'user_id', %(user_id)s::uuid, 'amount', %(amount)s::integer,
           'reason', g.reason, 'at', parkshare.ps_iso(g.created_at)) AS adjustment
FROM parkshare.grant_credits(%(user_id)s, %(amount)s, %(reason)s) g

-- name: mark_notifications_read
SELECT parkshare.mark_notifications_read(%(ids)s::bigint[], %(all)s) AS marked

-- name: set_notification_preferences
SELECT parkshare.set_notification_preferences(%(email)s, %(remind_minutes)s::integer,
                                              %(locale)s) AS preferences
