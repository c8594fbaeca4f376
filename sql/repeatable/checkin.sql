-- Check-in and no-shows. The window and the one-time stamp are the transition trigger's
-- (rules.sql); the money is the money trigger's. These procedures orchestrate.

-- POST /fn/checkin: the parker checks in to their booking. Twice answers the first stamp.
CREATE OR REPLACE FUNCTION parkshare.checkin(p_reservation_id uuid)
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
    IF v_res.user_id <> v_actor.id THEN
        PERFORM ps_raise('not_yours', 'only the parker checks in');
    END IF;
    IF v_res.checked_in_at IS NOT NULL THEN
        RETURN v_res;
    END IF;
    UPDATE reservations SET checked_in_at = now() WHERE id = v_res.id RETURNING * INTO v_res;
    PERFORM ps_emit(v_res.building_id, 'reservation.checked_in',
                    jsonb_build_object('reservation', ps_reservation_json(v_res)));
    RETURN v_res;
END
$$;

-- One locked, booked reservation whose check-in window has closed with nobody checked in:
-- a no-show. Its money moves now (the owner's share booked with it, the rest back to the
-- parker), both are told, and the rest of the window is free for waiting requests.
CREATE OR REPLACE FUNCTION parkshare.ps_no_show(p_res parkshare.reservations)
RETURNS parkshare.reservations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_res reservations;
BEGIN
    UPDATE reservations SET status = 'no_show', no_show_at = now()
    WHERE id = p_res.id RETURNING * INTO v_res;
    IF v_res.no_show_share > 0 THEN
        INSERT INTO ledger_entries (building_id, from_account, to_account, amount, kind,
                                    reservation_id)
        VALUES (v_res.building_id, ps_account(v_res.building_id, 'escrow'),
                ps_account(v_res.building_id, 'user', v_res.owner_id), v_res.no_show_share,
                'no_show_payout', v_res.id);
    END IF;
    IF v_res.cost > v_res.no_show_share THEN
        INSERT INTO ledger_entries (building_id, from_account, to_account, amount, kind,
                                    reservation_id)
        VALUES (v_res.building_id, ps_account(v_res.building_id, 'escrow'),
                ps_account(v_res.building_id, 'user', v_res.user_id),
                v_res.cost - v_res.no_show_share, 'no_show_refund', v_res.id);
    END IF;
    PERFORM ps_emit(v_res.building_id, 'reservation.no_show',
                    jsonb_build_object('reservation', ps_reservation_json(v_res)));
    PERFORM ps_notify_booking(v_res, v_res.user_id, 'reservation.no_show');
    PERFORM ps_notify_booking(v_res, v_res.owner_id, 'reservation.no_show');
    PERFORM ps_drop_reminders(v_res);
    IF upper(v_res.period) > now() THEN
        PERFORM ps_match_window(v_res.building_id, v_res.spot_id, now(), upper(v_res.period));
    END IF;
    RETURN v_res;
END
$$;

-- System (the worker): every booking whose check-in window has closed with nobody checked
-- in becomes a no-show, once: the status guard and the row lock make a second run find
-- nothing, and the ledger's keys refuse a second payment.
CREATE OR REPLACE FUNCTION parkshare.mark_no_shows()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_res reservations;
    v_count integer := 0;
BEGIN
    PERFORM ps_system();
    FOR v_res IN
        SELECT * FROM reservations
        WHERE status = 'booked' AND checked_in_at IS NULL AND checkin_until IS NOT NULL
          AND checkin_until <= now()
        ORDER BY checkin_until
        FOR UPDATE SKIP LOCKED
    LOOP
        PERFORM ps_no_show(v_res);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.checkin(uuid),
    parkshare.mark_no_shows()
TO parkshare_app;
