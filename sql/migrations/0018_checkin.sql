-- Check-in and no-shows. With a grace period in the policy, a parker checks in from 15
-- minutes before the start until start + grace; a booking nobody checked in to by then is a
-- no-show: the rest of its window is free again, the owner gets the policy's share of the
-- cost and the parker the rest back (sql/repeatable/checkin.sql). A reservation keeps the
-- policy it was booked under (SPEC: policy changes apply to bookings made after them).

ALTER TABLE parkshare.buildings
    ADD COLUMN checkin_grace_minutes integer NOT NULL DEFAULT 0
        CONSTRAINT buildings_checkin_grace_valid CHECK (checkin_grace_minutes BETWEEN 0 AND 120),
    ADD COLUMN no_show_owner_share integer NOT NULL DEFAULT 1;
-- A building that books for free pays no share of nothing.
UPDATE parkshare.buildings SET no_show_owner_share = least(no_show_owner_share, cost);
ALTER TABLE parkshare.buildings
    ADD CONSTRAINT buildings_no_show_share_valid CHECK (no_show_owner_share BETWEEN 0 AND cost);

ALTER TABLE parkshare.reservations
    -- start + grace when the building had check-in on at booking time, else NULL (no check-in).
    ADD COLUMN checkin_until timestamptz,
    -- What the owner gets if the parker never comes (at most the cost).
    ADD COLUMN no_show_share integer NOT NULL DEFAULT 0,
    ADD COLUMN checked_in_at timestamptz,
    ADD COLUMN no_show_at timestamptz;
ALTER TABLE parkshare.reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE parkshare.reservations
    ADD CONSTRAINT reservations_status_check
        CHECK (status IN ('booked', 'cancelled', 'settled', 'no_show')),
    ADD CONSTRAINT reservations_no_show_share_valid CHECK (no_show_share BETWEEN 0 AND cost),
    ADD CONSTRAINT reservations_no_show_stamp CHECK ((status = 'no_show') = (no_show_at IS NOT NULL)),
    -- Only a booking with check-in on becomes a no-show, and only one nobody checked in to.
    ADD CONSTRAINT reservations_no_show_valid CHECK (
        status <> 'no_show' OR (checkin_until IS NOT NULL AND checked_in_at IS NULL)),
    ADD CONSTRAINT reservations_checkin_valid CHECK (
        checked_in_at IS NULL OR checkin_until IS NOT NULL);

-- The worker's no-show detection and next moment: booked, check-in on, nobody came yet.
CREATE INDEX reservations_checkin_due_idx ON parkshare.reservations (checkin_until)
    WHERE status = 'booked' AND checked_in_at IS NULL AND checkin_until IS NOT NULL;

-- A no-show's money: the owner's share and the parker's refund, at most one of each.
ALTER TABLE parkshare.ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE parkshare.ledger_entries DROP CONSTRAINT ledger_reservation_kinds;
ALTER TABLE parkshare.ledger_entries
    ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN (
        'grant', 'adjustment', 'hold', 'refund', 'payout', 'no_show_payout', 'no_show_refund')),
    ADD CONSTRAINT ledger_reservation_kinds CHECK (
        (kind IN ('hold', 'refund', 'payout', 'no_show_payout', 'no_show_refund'))
        = (reservation_id IS NOT NULL));
CREATE UNIQUE INDEX ledger_one_no_show_key ON parkshare.ledger_entries
    (building_id, reservation_id, kind) WHERE kind IN ('no_show_payout', 'no_show_refund');
