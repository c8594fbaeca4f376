-- Reminders, scheduled as data: one row per booking and kind, due at the parker's
-- `remind_minutes` before the start (booking.starts_soon) and 10 minutes before the end
-- (booking.ends_soon), written when the booking is made and only for a time still to come
-- (a booking made after its reminder time gets none). The worker's timer includes the
-- earliest due one; what it fires it deletes (sql/repeatable/reminders.sql).

CREATE TABLE parkshare.reminders (
    building_id    uuid NOT NULL,
    reservation_id uuid NOT NULL,
    kind           text NOT NULL,
    due_at         timestamptz NOT NULL,
    CONSTRAINT reminders_pkey PRIMARY KEY (building_id, reservation_id, kind),
    -- A booking removed (never, today: cancelled ones stay) takes its reminders along.
    CONSTRAINT reminders_reservation_fkey FOREIGN KEY (building_id, reservation_id)
        REFERENCES parkshare.reservations (building_id, id) ON DELETE CASCADE,
    CONSTRAINT reminders_kind_valid CHECK (kind IN ('booking.starts_soon', 'booking.ends_soon'))
);
-- The worker's next moment and what has come.
CREATE INDEX reminders_due_idx ON parkshare.reminders (due_at);

SELECT parkshare.ps_tenant_table('reminders');
