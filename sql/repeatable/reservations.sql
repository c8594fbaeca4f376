-- One procedure per write of the garage. Each runs as parkshare_owner under FORCE ROW LEVEL
-- SECURITY, so it only ever sees the building of the transaction's context; the rules
-- themselves are the constraints (sql/migrations) and triggers (rules.sql), and these
-- procedures only orchestrate them.

CREATE OR REPLACE FUNCTION parkshare.add_spot(p_label text, p_location text, p_notes text)
RETURNS parkshare.spots
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_spot spots;
BEGIN
    INSERT INTO spots (building_id, owner_id, label, location, notes)
    VALUES (v_actor.building_id, v_actor.id, p_label, p_location, p_notes)
    RETURNING * INTO v_spot;
    PERFORM ps_emit(v_spot.building_id, 'spot.updated',
                    jsonb_build_object('spot', ps_spot_json(v_spot)));
    RETURN v_spot;
END
$$;

-- The release of a booked reservation's escrow back to its parker (rule 8).
CREATE OR REPLACE FUNCTION parkshare.ps_cancel(p_reservation parkshare.reservations, p_by uuid)
RETURNS parkshare.reservations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_res reservations;
    v_by text;
BEGIN
    UPDATE reservations SET status = 'cancelled', cancelled_at = now(), cancelled_by = p_by
    WHERE id = p_reservation.id
    RETURNING * INTO v_res;
    IF v_res.cost > 0 THEN
        INSERT INTO ledger_entries (building_id, from_account, to_account, amount, kind,
                                    reservation_id, created_by)
        VALUES (v_res.building_id, ps_account(v_res.building_id, 'escrow'),
                ps_account(v_res.building_id, 'user', v_res.user_id), v_res.cost, 'refund',
                v_res.id, p_by);
    END IF;
    PERFORM ps_emit(v_res.building_id, 'reservation.cancelled',
                    jsonb_build_object('reservation', ps_reservation_json(v_res)));
    -- Both are told, whoever cancelled: the parker, the owner (directly or by withdrawing
    -- the window), or an admin (disabling one of them).
    v_by := CASE p_by WHEN v_res.user_id THEN 'parker' WHEN v_res.owner_id THEN 'owner'
                      ELSE 'admin' END;
    PERFORM ps_notify_booking(v_res, v_res.user_id, 'booking.cancelled',
                              jsonb_build_object('by', v_by));
    PERFORM ps_notify_booking(v_res, v_res.owner_id, 'booking.cancelled',
                              jsonb_build_object('by', v_by));
    PERFORM ps_drop_reminders(v_res);
    RETURN v_res;
END
$$;

-- Offering or withdrawing [p_start, p_end) of a spot the caller has locked (FOR UPDATE), the
-- one path every window takes: an owner's set_availability, and a pattern's occurrences
-- made, paused or stopped (recurring.sql). Offering merges with the windows it overlaps or
-- touches; withdrawing cuts them, first cancelling (and refunding, rule 8) what has not
-- started when asked to, and refuses to leave a booking uncovered (rule 10). The change is
-- announced as availability.changed.
-- The caller's own spot, locked: concurrent changes of one spot's windows (by hand or by a
-- pattern) run one after the other. spot_not_found, or not_owner saying `p_refused`.
CREATE OR REPLACE FUNCTION parkshare.ps_own_spot_locked(p_actor parkshare.users, p_spot_id uuid,
                                                        p_refused text)
RETURNS parkshare.spots
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_spot spots;
BEGIN
    SELECT * INTO v_spot FROM spots WHERE id = p_spot_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ps_raise('spot_not_found', 'no such spot in this building');
    END IF;
    IF v_spot.owner_id <> p_actor.id THEN
        PERFORM ps_raise('not_owner', p_refused);
    END IF;
    RETURN v_spot;
END
$$;

CREATE OR REPLACE FUNCTION parkshare.ps_change_availability(p_spot parkshare.spots,
                                                            p_start timestamptz,
                                                            p_end timestamptz,
                                                            p_available boolean,
                                                            p_cancel_reservations boolean,
                                                            p_by uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_window tstzrange := tstzrange(p_start, p_end, '[)');
    v_merged tstzrange;
    v_res reservations;
    v_gone tstzrange;
BEGIN
    IF p_available THEN
        WITH gone AS (
            DELETE FROM availability
            WHERE spot_id = p_spot.id AND (period && v_window OR period -|- v_window)
            RETURNING period)
        SELECT tstzrange(least(p_start, min(lower(period))), greatest(p_end, max(upper(period))),
                         '[)')
        INTO v_merged FROM gone;
        INSERT INTO availability (building_id, spot_id, period)
        VALUES (p_spot.building_id, p_spot.id, coalesce(v_merged, v_window));
    ELSE
        IF p_cancel_reservations THEN
            -- Only what has not started can be cancelled (rule 8); a reservation in progress
            -- stays, and the withdrawal is then refused as has_reservations below.
            FOR v_res IN
                SELECT * FROM reservations
                WHERE spot_id = p_spot.id AND status = 'booked' AND period && v_window
                  AND lower(period) > now()
                ORDER BY lower(period) FOR UPDATE
            LOOP
                PERFORM ps_cancel(v_res, p_by);
            END LOOP;
        END IF;
        FOR v_gone IN
            DELETE FROM availability WHERE spot_id = p_spot.id AND period && v_window
            RETURNING period
        LOOP
            IF lower(v_gone) < p_start THEN
                INSERT INTO availability (building_id, spot_id, period)
                VALUES (p_spot.building_id, p_spot.id, tstzrange(lower(v_gone), p_start, '[)'));
            END IF;
            IF upper(v_gone) > p_end THEN
                INSERT INTO availability (building_id, spot_id, period)
                VALUES (p_spot.building_id, p_spot.id, tstzrange(p_end, upper(v_gone), '[)'));
            END IF;
        END LOOP;
        -- Rule 10 is checked here rather than at commit, so the caller gets the error now.
        SET CONSTRAINTS parkshare.availability_covers_bookings IMMEDIATE;
        SET CONSTRAINTS parkshare.availability_covers_bookings DEFERRED;
    END IF;

    PERFORM ps_emit(p_spot.building_id, 'availability.changed',
                    jsonb_build_object('spot_id', p_spot.id, 'start', ps_iso(p_start),
                                       'end', ps_iso(p_end), 'available', p_available));
    IF p_available THEN
        -- Only a request overlapping what was just offered can fit now that did not before.
        PERFORM ps_match_window(p_spot.building_id, p_spot.id, p_start, p_end);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION parkshare.set_availability(p_spot_id uuid, p_start timestamptz,
                                                      p_end timestamptz, p_available boolean,
                                                      p_cancel_reservations boolean DEFAULT false)
RETURNS TABLE (start_at timestamptz, end_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_spot spots;
    v_latest timestamptz;
BEGIN
    IF p_start IS NULL OR p_end IS NULL OR p_end <= p_start THEN
        PERFORM ps_raise('invalid_window', 'the window must end after it starts');
    END IF;
    -- Offering or withdrawing a spot is about the coming months: a window from a year ago to
    -- a year past the booking horizon is the widest that means anything (and every answer
    -- can express it).
    SELECT ps_local_add_days(now(), horizon_days + 366, timezone) INTO v_latest
    FROM buildings WHERE id = v_actor.building_id;
    IF p_start < now() - interval '366 days' OR p_end > v_latest THEN
        PERFORM ps_raise('invalid_window', format(
            'a window lies between a year ago and %s', ps_iso(v_latest)));
    END IF;
    v_spot := ps_own_spot_locked(v_actor, p_spot_id,
                                 'only the owner changes when the spot is offered');
    PERFORM ps_change_availability(v_spot, p_start, p_end, p_available, p_cancel_reservations,
                                   v_actor.id);
    RETURN QUERY
        SELECT a.start_at, a.end_at FROM availability a
        WHERE a.spot_id = p_spot_id AND a.end_at > now()
        ORDER BY a.start_at;
END
$$;

-- A booking for `p_user` under every rule (the constraints and triggers decide; this only
-- orchestrates): the caller's own (reserve) or a waiting request's, matched when a window
-- opened (requests.sql), whose parker is told `request.matched` instead of
-- `booking.confirmed`.
CREATE OR REPLACE FUNCTION parkshare.ps_book(p_user parkshare.users, p_spot_id uuid,
                                             p_start timestamptz, p_end timestamptz,
                                             p_parker_kind text DEFAULT 'booking.confirmed')
RETURNS parkshare.reservations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_owner uuid;
    v_res reservations;
BEGIN
    SELECT owner_id INTO v_owner FROM spots WHERE id = p_spot_id;
    IF NOT FOUND THEN
        PERFORM ps_raise('spot_not_found', 'no such spot in this building');
    END IF;
    -- An inverted window becomes the empty range, which reservations_period_valid refuses.
    INSERT INTO reservations (building_id, spot_id, owner_id, user_id, period, cost)
    VALUES (p_user.building_id, p_spot_id, v_owner, p_user.id,
            CASE WHEN p_end > p_start THEN tstzrange(p_start, p_end, '[)')
                 ELSE 'empty'::tstzrange END,
            0)
    RETURNING * INTO v_res;
    IF v_res.cost > 0 THEN
        INSERT INTO ledger_entries (building_id, from_account, to_account, amount, kind,
                                    reservation_id, created_by)
        VALUES (v_res.building_id, ps_account(v_res.building_id, 'user', p_user.id),
                ps_account(v_res.building_id, 'escrow'), v_res.cost, 'hold', v_res.id,
                p_user.id);
    END IF;
    PERFORM ps_emit(v_res.building_id, 'reservation.created',
                    jsonb_build_object('reservation', ps_reservation_json(v_res)));
    PERFORM ps_notify_booking(v_res, v_res.user_id, p_parker_kind);
    PERFORM ps_notify_booking(v_res, v_res.owner_id, 'spot.booked');
    PERFORM ps_schedule_reminders(v_res);
    RETURN v_res;
END
$$;

CREATE OR REPLACE FUNCTION parkshare.reserve(p_spot_id uuid, p_start timestamptz, p_end timestamptz)
RETURNS parkshare.reservations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    RETURN ps_book(ps_actor(), p_spot_id, p_start, p_end);
END
$$;

-- The parker, or the spot's owner, cancels before the start (rule 8). Cancelling twice
-- answers the cancelled reservation again and refunds nothing more.
CREATE OR REPLACE FUNCTION parkshare.cancel(p_reservation_id uuid)
RETURNS parkshare.reservations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_res reservations;
BEGIN
    SELECT * INTO v_res FROM reservations WHERE id = p_reservation_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ps_raise('reservation_not_found', 'no such reservation in this building');
    END IF;
    IF v_actor.id NOT IN (v_res.user_id, v_res.owner_id) THEN
        PERFORM ps_raise('not_yours', 'only the parker or the spot''s owner may cancel');
    END IF;
    IF v_res.status = 'cancelled' THEN
        RETURN v_res;
    END IF;
    IF v_res.status = 'settled' THEN
        PERFORM ps_raise('already_started', 'the reservation has already started');
    END IF;
    v_res := ps_cancel(v_res, v_actor.id);
    -- The window is free again: a waiting request may take it.
    PERFORM ps_match_window(v_res.building_id, v_res.spot_id, lower(v_res.period),
                            upper(v_res.period));
    RETURN v_res;
END
$$;

-- Rule 9: every booked reservation whose end has passed pays its owner, exactly once (the
-- status guard, the row lock and ledger_one_release_key each make a second payout
-- impossible), through ps_settle so that every payout is preceded by its `reservation.ended`
-- event. With a tenant context it settles that building (an admin's call), without one every
-- building (the cron source).
CREATE OR REPLACE FUNCTION parkshare.settle_due()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_res reservations;
    v_count integer := 0;
BEGIN
    IF ps_building() IS NOT NULL THEN
        PERFORM ps_admin();
    END IF;
    FOR v_res IN
        SELECT * FROM reservations
        WHERE status = 'booked' AND end_at <= now()
          -- Nobody checked in where check-in was on: mark_no_shows' (checkin.sql), not ours.
          AND (checkin_until IS NULL OR checked_in_at IS NOT NULL)
        ORDER BY end_at
        FOR UPDATE SKIP LOCKED
    LOOP
        PERFORM ps_settle(v_res);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

-- The booking as the reserve function answers it. With a key, the key is claimed first: a
-- concurrent request with the same key waits on that claim and then answers the stored
-- response instead of booking again.
CREATE OR REPLACE FUNCTION parkshare.reserve_request(p_spot_id uuid, p_start timestamptz,
                                                     p_end timestamptz, p_key text DEFAULT NULL,
                                                     p_request_hash text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_stored idempotency_keys;
    v_answer jsonb;
BEGIN
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (building_id, user_id, key, request_hash, response)
        VALUES (v_actor.building_id, v_actor.id, p_key, p_request_hash, 'null')
        ON CONFLICT (building_id, user_id, key) DO NOTHING;
        IF NOT FOUND THEN
            SELECT * INTO STRICT v_stored FROM idempotency_keys
            WHERE building_id = v_actor.building_id AND user_id = v_actor.id AND key = p_key;
            IF v_stored.request_hash IS DISTINCT FROM p_request_hash THEN
                PERFORM ps_raise('idempotency_mismatch',
                                 'this Idempotency-Key was used for another request');
            END IF;
            RETURN v_stored.response;
        END IF;
    END IF;
    SELECT ps_reservation_json(r) INTO v_answer FROM reserve(p_spot_id, p_start, p_end) r;
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys SET response = v_answer
        WHERE building_id = v_actor.building_id AND user_id = v_actor.id AND key = p_key;
    END IF;
    RETURN v_answer;
END
$$;

-- Rule 9 for one locked, booked, ended reservation: announce its end, then pay the owner.
CREATE OR REPLACE FUNCTION parkshare.ps_settle(p_res parkshare.reservations)
RETURNS parkshare.reservations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_res reservations;
BEGIN
    PERFORM ps_announce(p_res, 'ended');
    UPDATE reservations SET status = 'settled', settled_at = now()
    WHERE id = p_res.id RETURNING * INTO v_res;
    IF v_res.cost > 0 THEN
        INSERT INTO ledger_entries (building_id, from_account, to_account, amount, kind,
                                    reservation_id)
        VALUES (v_res.building_id, ps_account(v_res.building_id, 'escrow'),
                ps_account(v_res.building_id, 'user', v_res.owner_id), v_res.cost, 'payout',
                v_res.id);
    END IF;
    PERFORM ps_emit(v_res.building_id, 'reservation.settled',
                    jsonb_build_object('reservation', ps_reservation_json(v_res)));
    -- A free booking earns nothing, and nothing is said about it.
    IF v_res.cost > 0 THEN
        PERFORM ps_notify_booking(v_res, v_res.owner_id, 'credits.earned');
    END IF;
    RETURN v_res;
END
$$;

-- System (the worker's sweep): idempotency keys answer repeats for a day, then go. A retry
-- of a booking comes within seconds or minutes; a key reused after a day books again.
CREATE OR REPLACE FUNCTION parkshare.idempotency_prune(p_keep interval)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_gone integer;
BEGIN
    PERFORM ps_system();
    DELETE FROM idempotency_keys WHERE created_at < now() - p_keep;
    GET DIAGNOSTICS v_gone = ROW_COUNT;
    RETURN v_gone;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.idempotency_prune(interval),
    parkshare.add_spot(text, text, text),
    parkshare.set_availability(uuid, timestamp with time zone, timestamp with time zone, boolean, boolean),
    parkshare.reserve(uuid, timestamp with time zone, timestamp with time zone),
    parkshare.cancel(uuid),
    parkshare.settle_due(),
    parkshare.reserve_request(uuid, timestamp with time zone, timestamp with time zone, text, text)
TO parkshare_app;
