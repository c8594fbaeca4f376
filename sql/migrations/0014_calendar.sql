-- Calendar feeds: each resident's secret feed URL, one row per resident. The token in the URL
-- is an HMAC of (building, user, generation) under the server's secret key, so the URL can be
-- shown again without being stored; only its SHA-256 is kept, to find the resident a feed
-- request is for. Rotating moves to the next generation, and the old token finds nobody.

CREATE TABLE parkshare.calendar_feeds (
    building_id uuid NOT NULL,
    user_id     uuid NOT NULL,
    generation  integer NOT NULL,
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_feeds_pkey PRIMARY KEY (building_id, user_id),
    CONSTRAINT calendar_feeds_user_fkey FOREIGN KEY (building_id, user_id)
        REFERENCES parkshare.users (building_id, id),
    CONSTRAINT calendar_feeds_generation_valid CHECK (generation >= 1),
    CONSTRAINT calendar_feeds_token_hash_valid CHECK (octet_length(token_hash) = 32)
);
-- A feed request names its resident by the hash alone, across buildings. Not a unique index,
-- as refresh_tokens' is not: a shard could not check uniqueness without building_id
-- (tests/sql/test_sharding_ready.py), and two HMACs of different messages do not collide.
CREATE INDEX calendar_feeds_token_hash_idx ON parkshare.calendar_feeds (token_hash);

SELECT parkshare.ps_tenant_table('calendar_feeds');

-- The owner's side of a feed: the bookings of their spots still in it (the parker's side has
-- reservations_user_idx).
CREATE INDEX reservations_owner_idx ON parkshare.reservations (owner_id, end_at);
