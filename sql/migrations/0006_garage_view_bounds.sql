-- The garage view reads only the bookings around its window, not every booking still to
-- come: a booking in progress at an instant started at most the building's longest booking
-- before it, so "in progress now, or overlapping the window" is a range of start_at. Bookings
-- never change their window and the policy applies to new bookings only, so the longest one
-- is a maximum that only grows: the admission trigger keeps it (sql/repeatable/rules.sql).
ALTER TABLE parkshare.buildings
    ADD COLUMN longest_booking interval NOT NULL DEFAULT '0'
        CONSTRAINT buildings_longest_booking_valid CHECK (longest_booking >= '0');
UPDATE parkshare.buildings b SET longest_booking = coalesce((
    SELECT max(r.end_at - r.start_at) FROM parkshare.reservations r
    WHERE r.building_id = b.id AND r.status IN ('booked', 'settled')), '0');

CREATE INDEX reservations_building_start_idx ON parkshare.reservations (building_id, start_at)
    INCLUDE (spot_id, end_at, user_id, status)
    WHERE status IN ('booked', 'settled');
DROP INDEX parkshare.reservations_building_end_idx;
