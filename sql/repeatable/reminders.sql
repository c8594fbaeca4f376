-- Reminders (table in migrations/0013_reminders.sql): a booking's two, written by reserve in
-- its transaction for times still to come, dropped with a cancellation, moved when the
-- parker changes their lead time, and fired by the worker (remind_due) as notifications,
-- each once: the notification's own once-per-person-kind-reservation key makes a second
-- firing a no-op, and firing deletes the row.

-- How long before the end a parker is told their booking ends.
CREATE OR REPLACE FUNCTION parkshare.ps_ends_soon_lead() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT interval '10 minutes' $$;

CREATE OR REPLACE FUNCTION parkshare.ps_remind_minutes(p_building uuid, p_user uuid)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    RETURN coalesce((SELECT remind_minutes FROM notification_preferences
                     WHERE building_id = p_building AND user_id = p_user), 15);
END
$$;

-- A new booking's reminders: only those whose time is still to come; a start reminder only
-- before the start (a lead time of 0 minutes turns it off: the start itself is no
-- reminder), and an end reminder only after the start (a 5-minute booking is not told it
-- ends before it begins).
CREATE OR REPLACE FUNCTION parkshare.ps_schedule_reminders(p_res parkshare.reservations)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    INSERT INTO reminders (building_id, reservation_id, kind, due_at)
    SELECT p_res.building_id, p_res.id, r.kind, r.due_at
    FROM (VALUES
        ('booking.starts_soon',
         lower(p_res.period)
             - make_interval(mins => ps_remind_minutes(p_res.building_id, p_res.user_id))),
        ('booking.ends_soon', upper(p_res.period) - ps_ends_soon_lead())) r (kind, due_at)
    WHERE r.due_at > now()
      AND CASE r.kind WHEN 'booking.starts_soon' THEN r.due_at < lower(p_res.period)
                      ELSE r.due_at > lower(p_res.period) END
    ON CONFLICT (building_id, reservation_id, kind) DO NOTHING;
END
$$;

-- A cancelled booking reminds nobody.
CREATE OR REPLACE FUNCTION parkshare.ps_drop_reminders(p_res parkshare.reservations)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    DELETE FROM reminders WHERE building_id = p_res.building_id AND reservation_id = p_res.id
$$;

-- A parker who changes their lead time: the start reminders of their bookings still to
-- come move with it, and one whose new time has passed is dropped (as for a booking made
-- after its reminder time), as are all of them for a lead time of 0 (off). Bookings made
-- while the old lead time had already passed have no row and get none.
CREATE OR REPLACE FUNCTION parkshare.ps_reminders_follow_preferences()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.remind_minutes = OLD.remind_minutes THEN
        RETURN NULL;
    END IF;
    WITH moved AS (
        SELECT m.building_id, m.reservation_id,
               r.start_at - make_interval(mins => NEW.remind_minutes) AS due_at
        FROM reminders m
        JOIN reservations r ON r.building_id = m.building_id AND r.id = m.reservation_id
        WHERE m.building_id = NEW.building_id AND m.kind = 'booking.starts_soon'
          AND r.user_id = NEW.user_id AND r.status = 'booked'
    ), gone AS (
        DELETE FROM reminders m USING moved
        WHERE m.building_id = moved.building_id AND m.reservation_id = moved.reservation_id
          AND m.kind = 'booking.starts_soon'
          AND (moved.due_at <= now() OR NEW.remind_minutes = 0)
    )
    UPDATE reminders m SET due_at = moved.due_at
    FROM moved
    WHERE m.building_id = moved.building_id AND m.reservation_id = moved.reservation_id
      AND m.kind = 'booking.starts_soon' AND moved.due_at > now() AND NEW.remind_minutes > 0;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS notification_preferences_move_reminders
    ON parkshare.notification_preferences;
CREATE TRIGGER notification_preferences_move_reminders
    AFTER INSERT OR UPDATE OF remind_minutes ON parkshare.notification_preferences
    FOR EACH ROW EXECUTE FUNCTION parkshare.ps_reminders_follow_preferences();

-- The worker: every reminder that has come, as a notification to the parker, then gone.
-- One that comes too late to mean anything (the worker was down past the start, or the end)
-- is dropped unsaid. Several workers at once take different rows (SKIP LOCKED).
CREATE OR REPLACE FUNCTION parkshare.remind_due()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_due record;
    v_res reservations;
    v_sent integer := 0;
    v_until timestamptz;
BEGIN
    PERFORM ps_system();
    FOR v_due IN
        SELECT m.building_id, m.reservation_id, m.kind FROM reminders m
        WHERE m.due_at <= now()
        ORDER BY m.due_at
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
    LOOP
        DELETE FROM reminders
        WHERE building_id = v_due.building_id AND reservation_id = v_due.reservation_id
          AND kind = v_due.kind;
        SELECT * INTO v_res FROM reservations
        WHERE building_id = v_due.building_id AND id = v_due.reservation_id;
        -- (Not a CASE in the IF: PL/pgSQL ends an IF's condition at its first THEN.)
        v_until := upper(v_res.period);
        IF v_due.kind = 'booking.starts_soon' THEN
            v_until := lower(v_res.period);
        END IF;
        IF v_res.status = 'booked' AND now() < v_until THEN
            PERFORM ps_notify_booking(v_res, v_res.user_id, v_due.kind);
            v_sent := v_sent + 1;
        END IF;
    END LOOP;
    RETURN v_sent;
END
$$;

-- The earliest reminder of these bookings (the publisher brings the worker's timer forward
-- to it as it publishes them).
CREATE OR REPLACE FUNCTION parkshare.first_reminder(p_building uuid, p_reservations uuid[])
RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT min(due_at) FROM reminders
    WHERE building_id = p_building AND reservation_id = ANY (p_reservations)
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.remind_due(),
    parkshare.first_reminder(uuid, uuid[])
TO parkshare_app;
