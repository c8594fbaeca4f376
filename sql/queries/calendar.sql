-- The statements of calendar feeds (parkshare.calendar): the caller's feed URL, its rotation,
-- and the feed a calendar client reads.

-- name: generation
SELECT parkshare.calendar_generation(%(rotate)s) AS generation

-- name: set_calendar
SELECT parkshare.set_calendar(%(generation)s, %(token_hash)s)

-- name: feed
SELECT parkshare.calendar_feed(%(token_hash)s) AS feed
