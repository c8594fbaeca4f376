-- What every procedure is built from: raising the contract's errors, the acting user and
-- admin, the outbox, the audit log, accounts, and the JSON shapes answers and events share.

-- The contract's error `p_code` (sql/repeatable/errors.sql), raised with its own SQLSTATE.
CREATE OR REPLACE FUNCTION parkshare.ps_raise(p_code text, p_detail text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_state text;
BEGIN
    SELECT sqlstate INTO v_state FROM parkshare.error_codes WHERE code = p_code;
    IF v_state IS NULL THEN
        RAISE EXCEPTION 'unknown error code %', p_code;
    END IF;
    RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = p_detail, HINT = p_code;
END
$$;

-- The functions a booking runs are PL/pgSQL, not SQL, wherever PostgreSQL cannot inline
-- them (a write, a FROM, SECURITY DEFINER or SET): before PostgreSQL 18 such a SQL
-- function's body is parsed and planned again in every transaction that calls it, where
-- PL/pgSQL keeps each statement's plan for the session (~2 ms of a booking's 4.35 ms
-- in the database went to planning the same statements again; README, Benchmarks).

-- An event for the building's stream, written in the transaction of its cause (the outbox).
CREATE OR REPLACE FUNCTION parkshare.ps_emit(p_building uuid, p_type text, p_data jsonb,
                                             p_user uuid DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO parkshare.outbox (building_id, user_id, type, data)
    VALUES (p_building, p_user, p_type, p_data);
    -- Delivered when the transaction commits (and not at all if it rolls back), once per
    -- building however many events it wrote: the publisher listening picks them up then.
    PERFORM pg_notify('parkshare_outbox', p_building::text);
END
$$;

CREATE OR REPLACE FUNCTION parkshare.ps_account(p_building uuid, p_kind text, p_user uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT id FROM parkshare.accounts
            WHERE building_id = p_building AND kind = p_kind
              AND (p_kind <> 'user' OR user_id = p_user));
END
$$;

-- STABLE as ps_iso is, so that it is inlined: declared IMMUTABLE over a STABLE expression
-- it was a function call, its body planned again in every transaction.
CREATE OR REPLACE FUNCTION parkshare.ps_reservation_json(r parkshare.reservations) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'spot_id', r.spot_id, 'user_id', r.user_id,
        'start', parkshare.ps_iso(lower(r.period)), 'end', parkshare.ps_iso(upper(r.period)),
        'status', r.status, 'cost', r.cost,
        'checked_in_at', parkshare.ps_iso(r.checked_in_at))
$$;

-- Every transaction of the application starts here (shared/parkshare/store/db.py): the tenant
-- context the policies read, set for this transaction only. A context with a user comes from
-- an access token, whose session must be one of that user's that has not ended (logout,
-- revoked by the resident, a password change, disabled by an admin): a token without a
-- session, or with one nobody started, is refused. This is the one place sessions are
-- checked, for reads and writes alike. Only the operator's roles (the migrator, acting
-- through the command line) act for a user without a session.
CREATE OR REPLACE FUNCTION parkshare.ps_enter(p_building uuid, p_user uuid, p_session uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    -- Checked under no context (the owner's system policy sees every building's sessions).
    PERFORM set_config('parkshare.building_id', '', true);
    IF p_user IS NOT NULL AND NOT pg_has_role(session_user, 'parkshare_owner', 'MEMBER')
       AND NOT EXISTS (SELECT 1 FROM sessions s
                       WHERE s.id = p_session AND s.user_id = p_user
                         AND s.building_id = p_building AND s.revoked_at IS NULL)
    THEN
        PERFORM ps_raise('invalid_token', 'this session has ended or is unknown; sign in again');
    END IF;
    PERFORM set_config('parkshare.building_id', coalesce(p_building::text, ''), true),
            set_config('parkshare.user_id', coalesce(p_user::text, ''), true),
            set_config('parkshare.session_id',
                       CASE WHEN p_user IS NULL THEN '' ELSE coalesce(p_session::text, '') END,
                       true);
END
$$;

-- The user this transaction acts for; refuses to run without a tenant context or for a
-- disabled user. (Whether the token's session still holds, ps_enter decided.)
CREATE OR REPLACE FUNCTION parkshare.ps_actor() RETURNS parkshare.users
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

CREATE OR REPLACE FUNCTION parkshare.ps_admin() RETURNS parkshare.users
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

CREATE OR REPLACE FUNCTION parkshare.ps_spot_json(s parkshare.spots) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT jsonb_build_object(
        'id', s.id, 'label', s.label, 'location', s.location, 'notes', s.notes,
        'owner', jsonb_build_object('id', u.id, 'display_name', u.display_name))
    FROM users u WHERE u.id = s.owner_id
$$;

-- System work (the worker's jobs) runs without a tenant context and refuses one.
CREATE OR REPLACE FUNCTION parkshare.ps_system() RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF ps_building() IS NOT NULL THEN
        PERFORM ps_raise('forbidden', 'a system job runs without a tenant context');
    END IF;
END
$$;

-- An entry in the acting building's log, by the acting user.
CREATE OR REPLACE FUNCTION parkshare.ps_audit(p_action text, p_subject uuid, p_detail jsonb)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    INSERT INTO audit_log (building_id, actor_id, action, subject_id, detail)
    VALUES (ps_building(), ps_user(), p_action, p_subject, coalesce(p_detail, '{}'))
$$;

CREATE OR REPLACE FUNCTION parkshare.ps_policy_json(b parkshare.buildings) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('cost', b.cost, 'starting_credits', b.starting_credits,
                              'max_hours', b.max_hours, 'horizon_days', b.horizon_days,
                              'checkin_grace_minutes', b.checkin_grace_minutes,
                              'no_show_owner_share', b.no_show_owner_share)
$$;

CREATE OR REPLACE FUNCTION parkshare.ps_user_brief(p_user uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$ SELECT jsonb_build_object('id', u.id, 'display_name', u.display_name)
      FROM users u WHERE u.id = p_user $$;

GRANT EXECUTE ON FUNCTION
    parkshare.ps_enter(uuid, uuid, uuid),
    parkshare.ps_reservation_json(parkshare.reservations),
    parkshare.ps_spot_json(parkshare.spots)
TO parkshare_app;
