-- One procedure per write. Each runs as parkshare_owner under FORCE ROW LEVEL SECURITY, so it
-- only ever sees the building of the transaction's context; the rules themselves are the
-- constraints and triggers of 0001/0002, and these procedures only orchestrate them.

-- The user this transaction acts for; refuses to run without a tenant context.
CREATE FUNCTION parkshare.ps_actor() RETURNS parkshare.users
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users;
BEGIN
    SELECT * INTO v_user FROM users WHERE id = ps_user() AND building_id = ps_building();
    IF NOT FOUND OR v_user.disabled_at IS NOT NULL THEN
        PERFORM ps_raise('unauthenticated', 'no active user for this request');
    END IF;
    RETURN v_user;
END
$$;

CREATE FUNCTION parkshare.ps_admin() RETURNS parkshare.users
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users := ps_actor();
BEGIN
    IF v_user.role <> 'admin' THEN
        PERFORM ps_raise('forbidden', 'only an admin of the building may do this');
    END IF;
    RETURN v_user;
END
$$;

CREATE FUNCTION parkshare.ps_spot_json(s parkshare.spots) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT jsonb_build_object(
        'id', s.id, 'label', s.label, 'location', s.location, 'notes', s.notes,
        'owner', jsonb_build_object('id', u.id, 'display_name', u.display_name))
    FROM users u WHERE u.id = s.owner_id
$$;

-- System: a new building with its escrow and issuance accounts and its first admin.
CREATE FUNCTION parkshare.create_building(p_name text, p_timezone text, p_admin_email text,
                                          p_admin_password_hash text, p_admin_display_name text)
RETURNS TABLE (building_id uuid, admin_id uuid)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_building uuid;
    v_admin uuid;
BEGIN
    INSERT INTO buildings (name, timezone) VALUES (p_name, p_timezone) RETURNING id INTO v_building;
    PERFORM set_config('parkshare.building_id', v_building::text, true);
    INSERT INTO accounts (building_id, kind) VALUES (v_building, 'escrow'), (v_building, 'issuance');
    INSERT INTO users (building_id, email, password_hash, display_name, role)
    VALUES (v_building, p_admin_email, p_admin_password_hash, p_admin_display_name, 'admin')
    RETURNING id INTO v_admin;
    RETURN QUERY SELECT v_building, v_admin;
END
$$;

-- Admin: a user created directly (the demo seed, bulk onboarding).
CREATE FUNCTION parkshare.create_user(p_email text, p_password_hash text, p_display_name text,
                                      p_role text)
RETURNS parkshare.users
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_user users;
BEGIN
    INSERT INTO users (building_id, email, password_hash, display_name, role)
    VALUES (v_admin.building_id, p_email, p_password_hash, p_display_name, p_role)
    RETURNING * INTO v_user;
    RETURN v_user;
END
$$;

CREATE FUNCTION parkshare.create_invite(p_code_hash text, p_role text, p_expires_at timestamptz)
RETURNS parkshare.invites
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_invite invites;
BEGIN
    IF p_expires_at <= now() THEN
        PERFORM ps_raise('invalid_request', 'an invite must expire in the future');
    END IF;
    INSERT INTO invites (building_id, code_hash, role, created_by, expires_at)
    VALUES (v_admin.building_id, p_code_hash, p_role, v_admin.id, p_expires_at)
    RETURNING * INTO v_invite;
    RETURN v_invite;
END
$$;

-- System: the invite names the building; the new user then acts inside it.
CREATE FUNCTION parkshare.sign_up(p_code_hash text, p_email text, p_password_hash text,
                                  p_display_name text)
RETURNS parkshare.users
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_invite invites;
    v_user users;
BEGIN
    SELECT * INTO v_invite FROM invites WHERE code_hash = p_code_hash FOR UPDATE;
    IF NOT FOUND OR v_invite.used_at IS NOT NULL OR v_invite.expires_at <= now() THEN
        PERFORM ps_raise('invalid_invite', 'the invite code is unknown, used or expired');
    END IF;
    PERFORM set_config('parkshare.building_id', v_invite.building_id::text, true);
    INSERT INTO users (building_id, email, password_hash, display_name, role)
    VALUES (v_invite.building_id, p_email, p_password_hash, p_display_name, v_invite.role)
    RETURNING * INTO v_user;
    PERFORM set_config('parkshare.user_id', v_user.id::text, true);
    UPDATE invites SET used_at = now(), used_by = v_user.id WHERE id = v_invite.id;
    RETURN v_user;
END
$$;

CREATE FUNCTION parkshare.add_spot(p_label text, p_location text, p_notes text)
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
CREATE FUNCTION parkshare.ps_cancel(p_reservation parkshare.reservations, p_by uuid)
RETURNS parkshare.reservations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_res reservations;
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
    RETURN v_res;
END
$$;

CREATE FUNCTION parkshare.set_availability(p_spot_id uuid, p_start timestamptz,
                                           p_end timestamptz, p_available boolean,
                                           p_cancel_reservations boolean DEFAULT false)
RETURNS TABLE (start_at timestamptz, end_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_spot spots;
    v_window tstzrange;
    v_merged tstzrange;
    v_res reservations;
    v_gone tstzrange;
BEGIN
    IF p_start IS NULL OR p_end IS NULL OR p_end <= p_start THEN
        PERFORM ps_raise('invalid_window', 'the window must end after it starts');
    END IF;
    -- Locks the spot: concurrent changes of one spot's windows run one after the other.
    SELECT * INTO v_spot FROM spots WHERE id = p_spot_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ps_raise('spot_not_found', 'no such spot in this building');
    END IF;
    IF v_spot.owner_id <> v_actor.id THEN
        PERFORM ps_raise('not_owner', 'only the owner changes when the spot is offered');
    END IF;
    v_window := tstzrange(p_start, p_end, '[)');

    IF p_available THEN
        WITH gone AS (
            DELETE FROM availability
            WHERE spot_id = p_spot_id AND (period && v_window OR period -|- v_window)
            RETURNING period)
        SELECT tstzrange(least(p_start, min(lower(period))), greatest(p_end, max(upper(period))),
                         '[)')
        INTO v_merged FROM gone;
        INSERT INTO availability (building_id, spot_id, period)
        VALUES (v_spot.building_id, p_spot_id, coalesce(v_merged, v_window));
    ELSE
        IF p_cancel_reservations THEN
            -- Only what has not started can be cancelled (rule 8); a reservation in progress
            -- stays, and the withdrawal is then refused as has_reservations below.
            FOR v_res IN
                SELECT * FROM reservations
                WHERE spot_id = p_spot_id AND status = 'booked' AND period && v_window
                  AND lower(period) > now()
                ORDER BY lower(period) FOR UPDATE
            LOOP
                PERFORM ps_cancel(v_res, v_actor.id);
            END LOOP;
        END IF;
        FOR v_gone IN
            DELETE FROM availability WHERE spot_id = p_spot_id AND period && v_window
            RETURNING period
        LOOP
            IF lower(v_gone) < p_start THEN
                INSERT INTO availability (building_id, spot_id, period)
                VALUES (v_spot.building_id, p_spot_id, tstzrange(lower(v_gone), p_start, '[)'));
            END IF;
            IF upper(v_gone) > p_end THEN
                INSERT INTO availability (building_id, spot_id, period)
                VALUES (v_spot.building_id, p_spot_id, tstzrange(p_end, upper(v_gone), '[)'));
            END IF;
        END LOOP;
        -- Rule 10 is checked here rather than at commit, so the caller gets the error now.
        SET CONSTRAINTS parkshare.availability_covers_bookings IMMEDIATE;
        SET CONSTRAINTS parkshare.availability_covers_bookings DEFERRED;
    END IF;

    PERFORM ps_emit(v_spot.building_id, 'availability.changed',
                    jsonb_build_object('spot_id', p_spot_id, 'start', ps_iso(p_start),
                                       'end', ps_iso(p_end), 'available', p_available));
    RETURN QUERY
        SELECT lower(a.period), upper(a.period) FROM availability a
        WHERE a.spot_id = p_spot_id AND upper(a.period) > now()
        ORDER BY lower(a.period);
END
$$;

CREATE FUNCTION parkshare.reserve(p_spot_id uuid, p_start timestamptz, p_end timestamptz)
RETURNS parkshare.reservations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_owner uuid;
    v_res reservations;
BEGIN
    SELECT owner_id INTO v_owner FROM spots WHERE id = p_spot_id;
    IF NOT FOUND THEN
        PERFORM ps_raise('spot_not_found', 'no such spot in this building');
    END IF;
    -- An inverted window becomes the empty range, which reservations_period_valid refuses.
    INSERT INTO reservations (building_id, spot_id, owner_id, user_id, period, cost)
    VALUES (v_actor.building_id, p_spot_id, v_owner, v_actor.id,
            CASE WHEN p_end > p_start THEN tstzrange(p_start, p_end, '[)')
                 ELSE 'empty'::tstzrange END,
            0)
    RETURNING * INTO v_res;
    IF v_res.cost > 0 THEN
        INSERT INTO ledger_entries (building_id, from_account, to_account, amount, kind,
                                    reservation_id, created_by)
        VALUES (v_res.building_id, ps_account(v_res.building_id, 'user', v_actor.id),
                ps_account(v_res.building_id, 'escrow'), v_res.cost, 'hold', v_res.id,
                v_actor.id);
    END IF;
    PERFORM ps_emit(v_res.building_id, 'reservation.created',
                    jsonb_build_object('reservation', ps_reservation_json(v_res)));
    RETURN v_res;
END
$$;

-- The parker, or the spot's owner, cancels before the start (rule 8). Cancelling twice
-- answers the cancelled reservation again and refunds nothing more.
CREATE FUNCTION parkshare.cancel(p_reservation_id uuid)
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
    RETURN ps_cancel(v_res, v_actor.id);
END
$$;

-- Rule 9: every booked reservation whose end has passed pays its owner, exactly once (the
-- status guard, the row lock and ledger_one_release_key each make a second payout
-- impossible). With a tenant context it settles that building (an admin's call), without one
-- every building (the cron source).
CREATE FUNCTION parkshare.settle_due()
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
        WHERE status = 'booked' AND upper(period) <= now()
        ORDER BY upper(period)
        FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE reservations SET status = 'settled', settled_at = now()
        WHERE id = v_res.id RETURNING * INTO v_res;
        IF v_res.cost > 0 THEN
            INSERT INTO ledger_entries (building_id, from_account, to_account, amount, kind,
                                        reservation_id)
            VALUES (v_res.building_id, ps_account(v_res.building_id, 'escrow'),
                    ps_account(v_res.building_id, 'user', v_res.owner_id), v_res.cost, 'payout',
                    v_res.id);
        END IF;
        PERFORM ps_emit(v_res.building_id, 'reservation.settled',
                        jsonb_build_object('reservation', ps_reservation_json(v_res)));
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

-- Admin: credits granted (positive) or deducted (negative) with a reason; rule 11 holds
-- because the other side of the entry is the building's issuance account.
CREATE FUNCTION parkshare.grant_credits(p_user_id uuid, p_amount integer, p_reason text)
RETURNS parkshare.ledger_entries
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_account uuid;
    v_entry ledger_entries;
BEGIN
    v_account := ps_account(v_admin.building_id, 'user', p_user_id);
    IF v_account IS NULL THEN
        PERFORM ps_raise('user_not_found', 'no such user in this building');
    END IF;
    IF coalesce(p_amount, 0) = 0 OR coalesce(btrim(p_reason), '') = '' THEN
        PERFORM ps_raise('invalid_request', 'a non-zero amount and a reason are required');
    END IF;
    INSERT INTO ledger_entries (building_id, from_account, to_account, amount, kind, reason,
                                created_by)
    VALUES (v_admin.building_id,
            CASE WHEN p_amount > 0 THEN ps_account(v_admin.building_id, 'issuance') ELSE v_account END,
            CASE WHEN p_amount > 0 THEN v_account ELSE ps_account(v_admin.building_id, 'issuance') END,
            abs(p_amount), 'adjustment', p_reason, v_admin.id)
    RETURNING * INTO v_entry;
    RETURN v_entry;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.create_user(text, text, text, text),
    parkshare.create_invite(text, text, timestamptz),
    parkshare.sign_up(text, text, text, text),
    parkshare.add_spot(text, text, text),
    parkshare.set_availability(uuid, timestamptz, timestamptz, boolean, boolean),
    parkshare.reserve(uuid, timestamptz, timestamptz),
    parkshare.cancel(uuid),
    parkshare.settle_due(),
    parkshare.grant_credits(uuid, integer, text)
TO parkshare_app;
