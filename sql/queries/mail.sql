-- The mail sender (parkshare.notify.mail): claiming deliveries and recording how they went.

-- name: deliveries_claim
-- Deliveries to send now, each marked sending and locked for this session until released.
SELECT * FROM parkshare.deliveries_claim(%(limit)s)

-- name: delivery_sent
SELECT parkshare.delivery_sent(%(building_id)s, %(id)s) AS marked

-- name: delivery_failed
SELECT parkshare.delivery_failed(%(building_id)s, %(id)s, %(error)s, %(retryable)s) AS state

-- name: delivery_release
SELECT parkshare.delivery_release(%(id)s) AS released

-- name: deliveries_skip
SELECT parkshare.deliveries_skip() AS skipped
