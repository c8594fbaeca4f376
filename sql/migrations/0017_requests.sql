-- Requests: a resident asks for any spot for a window. Booked at once when one is free for
-- the whole window, otherwise it waits, and is matched when a window opens (availability
-- offered, a booking cancelled), fairly: those served through requests least in the last 28
-- days first, then the earliest request (sql/repeatable/requests.sql).

CREATE TABLE parkshare.requests (
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    building_id    uuid NOT NULL,
    user_id        uuid NOT NULL,
    period         tstzrange NOT NULL,
    start_at       timestamptz GENERATED ALWAYS AS (lower(period)) STORED,
    end_at         timestamptz GENERATED ALWAYS AS (upper(period)) STORED,
    status         text NOT NULL DEFAULT 'waiting',
    reservation_id uuid,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- When it left `waiting` (matched, expired or withdrawn).
    closed_at      timestamptz,
    CONSTRAINT requests_pkey PRIMARY KEY (building_id, id),
    CONSTRAINT requests_user_fkey FOREIGN KEY (building_id, user_id)
        REFERENCES parkshare.users (building_id, id),
    CONSTRAINT requests_reservation_fkey FOREIGN KEY (building_id, reservation_id)
        REFERENCES parkshare.reservations (building_id, id),
    CONSTRAINT requests_period_valid CHECK (
        NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period)
        AND NOT lower_inf(period) AND NOT upper_inf(period)),
    CONSTRAINT requests_status_valid CHECK (
        status IN ('waiting', 'matched', 'expired', 'withdrawn')),
    -- A matched request names its booking; no other does. Only a waiting one is open.
    CONSTRAINT requests_matched_booking CHECK (
        (status = 'matched') = (reservation_id IS NOT NULL)),
    CONSTRAINT requests_closed_stamp CHECK ((status = 'waiting') = (closed_at IS NULL)),
    -- A booking is made for one request at most: a request is never matched twice, and two
    -- requests never share a booking.
    CONSTRAINT requests_reservation_key UNIQUE (building_id, reservation_id),
    -- A resident's waiting requests do not overlap each other (SPEC: 409
    -- overlapping_reservation).
    CONSTRAINT requests_user_free EXCLUDE USING gist (
        building_id WITH =, user_id WITH =, period WITH &&)
        WHERE (status = 'waiting')
);
-- Matching: the waiting requests of a building a window can serve, and expiry.
CREATE INDEX requests_waiting_idx ON parkshare.requests (building_id, start_at)
    INCLUDE (end_at, user_id, created_at)
    WHERE status = 'waiting';
-- The worker's next moment: the earliest waiting request's start, when it expires.
CREATE INDEX requests_expiry_idx ON parkshare.requests (start_at) WHERE status = 'waiting';
-- The fairness count: a resident's requests matched in the last 28 days; and their own list.
CREATE INDEX requests_user_idx ON parkshare.requests (building_id, user_id, closed_at);

SELECT parkshare.ps_tenant_table('requests');

-- A resident reads only their own requests (restrictive, ANDed with the tenant policy); the
-- procedures match across residents as the owner role.
CREATE POLICY owner ON parkshare.requests AS RESTRICTIVE TO parkshare_app
    USING (user_id = (SELECT parkshare.ps_user()));

GRANT SELECT ON parkshare.requests TO parkshare_app;
