-- Live garage: publishing the outbox in order, and the moments a reservation starts and ends
-- announced exactly once, whichever of the scheduled job, the sweep or settlement gets there
-- first.

-- What a spot is right now, as the garage view says it (SpotView.status_now).
CREATE OR REPLACE FUNCTION parkshare.ps_spot_status(p_spot uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM reservations r
                     WHERE r.spot_id = p_spot AND r.status IN ('booked', 'settled')
                       AND r.end_at > now() AND r.start_at <= now()) THEN 'reserved'
        WHEN EXISTS (SELECT 1 FROM availability a
                     WHERE a.spot_id = p_spot AND a.end_at > now() AND a.start_at <= now())
             THEN 'free'
        ELSE 'unavailable'
    END
$$;

-- Announce that a reservation started or ended (with the spot's new state), once.
CREATE OR REPLACE FUNCTION parkshare.ps_announce(p_res parkshare.reservations, p_kind text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_spot spots;
BEGIN
    INSERT INTO reservation_moments (building_id, reservation_id, kind)
    VALUES (p_res.building_id, p_res.id, p_kind)
    ON CONFLICT (building_id, reservation_id, kind) DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM ps_emit(p_res.building_id, 'reservation.' || p_kind,
                    jsonb_build_object('reservation', ps_reservation_json(p_res)));
    SELECT * INTO v_spot FROM spots WHERE id = p_res.spot_id;
    PERFORM ps_emit(p_res.building_id, 'spot.updated',
                    jsonb_build_object('spot', ps_spot_json(v_spot),
                                       'status_now', ps_spot_status(v_spot.id)));
    RETURN true;
END
$$;

-- The job scheduled at a reservation's start. 'early' asks the job to retry (the worker's
-- clock ran ahead of the database's); 'skipped' means there is nothing to do (cancelled,
-- already announced, or already over).
CREATE OR REPLACE FUNCTION parkshare.reservation_started(p_reservation uuid)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_res reservations;
BEGIN
    PERFORM ps_system();
    SELECT * INTO v_res FROM reservations WHERE id = p_reservation FOR SHARE;
    IF NOT FOUND OR v_res.status <> 'booked' OR upper(v_res.period) <= now() THEN
        RETURN 'skipped';
    ELSIF lower(v_res.period) > now() THEN
        RETURN 'early';
    END IF;
    RETURN CASE WHEN ps_announce(v_res, 'started') THEN 'announced' ELSE 'skipped' END;
END
$$;

-- The job scheduled at a reservation's end: announce it and settle it (rule 9).
CREATE OR REPLACE FUNCTION parkshare.reservation_ended(p_reservation uuid)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_res reservations;
BEGIN
    PERFORM ps_system();
    SELECT * INTO v_res FROM reservations WHERE id = p_reservation FOR UPDATE;
    IF NOT FOUND OR v_res.status <> 'booked' THEN
        RETURN 'skipped';
    ELSIF upper(v_res.period) > now() THEN
        RETURN 'early';
    END IF;
    PERFORM ps_settle(v_res);
    RETURN 'settled';
END
$$;

-- Every moment that has come, across buildings: the starts of reservations under way that
-- nobody announced yet, and the ends (settled, which announces them). The worker runs it when
-- the next moment comes (parkshare.live.jobs) and in its periodic sweep; both find what the other
-- did already. Starts are announced only while the reservation runs: a start nobody saw is
-- not news after the end.
CREATE OR REPLACE FUNCTION parkshare.sweep_due()
RETURNS TABLE (started integer, settled integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_res reservations;
BEGIN
    PERFORM ps_system();
    started := 0;
    FOR v_res IN
        SELECT r.* FROM reservations r
        WHERE r.status = 'booked' AND r.end_at > now() AND r.start_at <= now()
          AND NOT EXISTS (SELECT 1 FROM reservation_moments m
                          WHERE m.building_id = r.building_id AND m.reservation_id = r.id
                            AND m.kind = 'started')
        ORDER BY r.start_at
        FOR SHARE SKIP LOCKED
    LOOP
        IF ps_announce(v_res, 'started') THEN
            started := started + 1;
        END IF;
    END LOOP;
    settled := settle_due();
    RETURN NEXT;
END
$$;

-- Publishing. One publisher per building at a time (a transaction-scoped advisory lock), so
-- a building's stream receives its events in outbox order. A publisher that finds the lock
-- taken leaves at once instead of queueing: the holder looks for waiting events again after
-- letting go (outbox_waiting_in), and anything committed before the failed try is seen then.
CREATE OR REPLACE FUNCTION parkshare.outbox_lock(p_building uuid)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    RETURN pg_try_advisory_xact_lock(hashtextextended('parkshare.outbox ' || p_building, 0));
END
$$;

CREATE OR REPLACE FUNCTION parkshare.outbox_claim(p_building uuid, p_limit integer DEFAULT 1000)
RETURNS TABLE (id bigint, user_id uuid, type text, data jsonb, created_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT o.id, o.user_id, o.type, o.data, o.created_at FROM outbox o
        WHERE o.building_id = p_building AND o.published_at IS NULL
        ORDER BY o.id
        LIMIT p_limit;
END
$$;

-- The building's publishing lock, then its waiting events: read after the lock is held, so
-- that what a publisher takes is never what another one published while it waited (in one
-- statement the rows would be read with the statement's snapshot, before the lock).
CREATE OR REPLACE FUNCTION parkshare.outbox_take(p_building uuid, p_limit integer DEFAULT 1000)
RETURNS TABLE (id bigint, user_id uuid, type text, data jsonb, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    IF outbox_lock(p_building) THEN
        RETURN QUERY SELECT c.id, c.user_id, c.type, c.data, c.created_at
                     FROM outbox_claim(p_building, p_limit) c;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION parkshare.outbox_waiting_in(p_building uuid)
RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM outbox WHERE building_id = p_building AND published_at IS NULL);
END
$$;

CREATE OR REPLACE FUNCTION parkshare.outbox_published(p_ids bigint[], p_stream_ids text[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    UPDATE outbox o SET published_at = clock_timestamp(), stream_id = p.stream_id
    FROM unnest(p_ids, p_stream_ids) AS p(id, stream_id)
    WHERE o.id = p.id AND o.published_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- Buildings with events waiting (the sweep's work list), and published rows past their
-- usefulness (the stream holds the history clients replay; the table only has to outlive
-- a publication).
CREATE OR REPLACE FUNCTION parkshare.outbox_waiting()
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT DISTINCT building_id FROM outbox WHERE published_at IS NULL
$$;

-- A row a webhook has not passed yet (sql/repeatable/webhooks.sql) stays until it does, for
-- the webhooks' retry window at most.
CREATE OR REPLACE FUNCTION parkshare.outbox_prune(p_keep interval)
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM outbox o
        WHERE o.published_at < now() - p_keep
          AND (o.published_at < now() - ps_webhook_retry_window()
               OR NOT EXISTS (
                   SELECT 1 FROM webhook_state s
                   WHERE s.building_id = o.building_id
                     AND (o.stream_ms, o.stream_seq) > (s.after_ms, s.after_seq)))
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;

-- When the worker must look again: the earliest start or end of a booked reservation still
-- to come, over every building (two index lookups, not a scan of the bookings).
CREATE OR REPLACE FUNCTION parkshare.next_moment()
RETURNS timestamptz
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    PERFORM ps_system();
    RETURN least(
        (SELECT min(start_at) FROM reservations WHERE status = 'booked' AND start_at > now()),
        (SELECT min(end_at) FROM reservations WHERE status = 'booked' AND end_at > now()),
        -- Reminders whose time has come wait for nothing: any, then, is due now.
        (SELECT min(due_at) FROM reminders),
        -- A booking nobody checked in to is a no-show when its check-in window closes.
        (SELECT min(checkin_until) FROM reservations
         WHERE status = 'booked' AND checked_in_at IS NULL AND checkin_until IS NOT NULL),
        -- A waiting request expires at its start.
        (SELECT min(start_at) FROM requests WHERE status = 'waiting'));
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.next_moment(),
    parkshare.reservation_started(uuid),
    parkshare.reservation_ended(uuid),
    parkshare.sweep_due(),
    parkshare.outbox_lock(uuid),
    parkshare.outbox_claim(uuid, integer),
    parkshare.outbox_take(uuid, integer),
    parkshare.outbox_waiting_in(uuid),
    parkshare.outbox_published(bigint[], text[]),
    parkshare.outbox_waiting(),
    parkshare.outbox_prune(interval)
TO parkshare_app;
