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
