-- The statements the functions run: one call into a procedure or view each, with the
-- answer shaped as the public contract has it.

-- name: cancel
SELECT parkshare.ps_reservation_json(r) AS reservation FROM parkshare.cancel(%(reservation_id)s) r
