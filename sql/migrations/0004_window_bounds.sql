-- Every window's bounds as plain columns beside its range, for the reads under row-level
-- security. A policy is a security barrier: PostgreSQL applies a query's own conditions only
-- after the policy's, unless they are leakproof, and the range operators (&&, @>) and the
-- functions lower() and upper() are not; so an index on (spot_id, period) served a garage
-- view by spot_id alone, walking every booking of the spot's year. Comparisons of
-- timestamptz are leakproof: on these columns the same reads are index range scans.
-- (The exclusion constraints keep working on the ranges; they never pass through a policy.)

ALTER TABLE parkshare.reservations
    ADD COLUMN start_at timestamptz GENERATED ALWAYS AS (lower(period)) STORED,
    ADD COLUMN end_at timestamptz GENERATED ALWAYS AS (upper(period)) STORED;
ALTER TABLE parkshare.availability
    ADD COLUMN start_at timestamptz GENERATED ALWAYS AS (lower(period)) STORED,
    ADD COLUMN end_at timestamptz GENERATED ALWAYS AS (upper(period)) STORED;

-- The garage view: what is not over yet (or overlaps a window a little in the past), per
-- building, with what the view reads in the index itself.
CREATE INDEX reservations_building_end_idx ON parkshare.reservations (building_id, end_at)
    INCLUDE (spot_id, start_at, user_id, status)
    WHERE status IN ('booked', 'settled');
CREATE INDEX availability_building_end_idx ON parkshare.availability (building_id, end_at)
    INCLUDE (spot_id, start_at);
-- A booking's admission (inside one window of its spot, rule 3) and a withdrawal's check.
CREATE INDEX availability_spot_end_idx ON parkshare.availability (spot_id, end_at)
    INCLUDE (start_at);

-- A resident's own page and the dataloaders: their bookings, a spot's next one.
DROP INDEX parkshare.reservations_user_upcoming_idx;
CREATE INDEX reservations_user_upcoming_idx ON parkshare.reservations (user_id, end_at)
    WHERE status = 'booked';
DROP INDEX parkshare.reservations_user_idx;
CREATE INDEX reservations_user_idx ON parkshare.reservations (user_id, start_at DESC);
CREATE INDEX reservations_spot_upcoming_idx ON parkshare.reservations (spot_id, start_at)
    WHERE status = 'booked';
DROP INDEX parkshare.reservations_due_idx;
CREATE INDEX reservations_due_idx ON parkshare.reservations (end_at) WHERE status = 'booked';
-- The worker's next moment (parkshare.next_moment): the earliest start still to come.
CREATE INDEX reservations_start_idx ON parkshare.reservations (start_at) WHERE status = 'booked';
