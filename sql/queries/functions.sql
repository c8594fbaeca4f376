-- The statements the functions run: one call into a procedure or view each, with the
-- answer shaped as the public contract has it.

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

-- name: list_spots
SELECT coalesce(jsonb_agg(v.spot ORDER BY v.n), '[]'::jsonb) AS spots
FROM parkshare.spot_views(%(start)s, %(end)s, %(available_only)s) WITH ORDINALITY v(spot, n)

-- name: reserve
SELECT parkshare.reserve_request(%(spot_id)s, %(start)s, %(end)s, %(key)s, %(request_hash)s)
    AS reservation

-- name: settle
SELECT parkshare.settle_due() AS settled

-- name: me
SELECT parkshare.me_view() AS me

-- name: create_invite
SELECT role, expires_at FROM parkshare.create_invite(%(code_hash)s, %(role)s, %(expires_at)s)

-- name: grant_credits
SELECT id, kind, amount, reason, parkshare.ps_iso(created_at) AS at
FROM parkshare.grant_credits(%(user_id)s, %(amount)s, %(reason)s)
