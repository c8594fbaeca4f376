-- The admin's work: people (invite, create, list, disable, enable), credits, the policy, the
-- ledger, the audit log and how the garage is used. Whether the caller is an admin is
-- decided by ps_admin(); every admin action writes its audit entry in the same transaction
-- as the change itself.

-- System: a new building with its escrow and issuance accounts and its first admin.
CREATE OR REPLACE FUNCTION parkshare.create_building(p_name text, p_timezone text, p_admin_email text,
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

CREATE OR REPLACE FUNCTION parkshare.create_user(p_email text, p_password_hash text,
                                                 p_display_name text, p_role text)
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
    PERFORM ps_audit('admin.user_created', v_user.id,
                     jsonb_build_object('email', p_email, 'role', p_role));
    RETURN v_user;
END
$$;

CREATE OR REPLACE FUNCTION parkshare.grant_credits(p_user_id uuid, p_amount integer,
                                                   p_reason text)
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
    PERFORM ps_audit('admin.credits_adjusted', p_user_id, jsonb_build_object(
        'entry_id', v_entry.id, 'amount', p_amount, 'reason', p_reason));
    RETURN v_entry;
END
$$;

CREATE OR REPLACE FUNCTION parkshare.create_invite(p_code_hash text, p_role text, p_expires_at timestamptz,
                                                   p_email text)
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
    INSERT INTO invites (building_id, code_hash, role, created_by, expires_at, email)
    VALUES (v_admin.building_id, p_code_hash, p_role, v_admin.id, p_expires_at, p_email)
    RETURNING * INTO v_invite;
    PERFORM ps_audit('admin.invite_created', NULL, jsonb_build_object(
        'invite_id', v_invite.id, 'role', v_invite.role, 'email', v_invite.email,
        'expires_at', ps_iso(v_invite.expires_at)));
    RETURN v_invite;
END
$$;

-- Admin: settle the building now (the cron does it for every building without asking).
CREATE OR REPLACE FUNCTION parkshare.settle_building()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_count integer;
BEGIN
    v_count := settle_due();
    PERFORM ps_audit('admin.settled', NULL, jsonb_build_object('settled', v_count));
    RETURN v_count;
END
$$;

-- Admin: a resident who leaves. What has not started is cancelled and refunded (their own
-- bookings, and others' bookings of their spots); what is under way stays and settles as
-- usual; their spots are no longer offered after that; their sessions end at once.
CREATE OR REPLACE FUNCTION parkshare.disable_user(p_user uuid)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_target users;
    v_res reservations;
    v_spot spots;
    v_keep timestamptz;
    v_until timestamptz;
    v_cancelled integer := 0;
    v_withdrawn integer := 0;
    v_sessions integer;
BEGIN
    -- Changes to a building's people run one at a time: two admins cannot disable each
    -- other at the same moment and leave the building with none.
    PERFORM 1 FROM buildings WHERE id = v_admin.building_id FOR UPDATE;
    IF EXISTS (SELECT 1 FROM users WHERE id = v_admin.id AND disabled_at IS NOT NULL) THEN
        PERFORM ps_raise('unauthenticated', 'no active user for this request');
    END IF;
    SELECT * INTO v_target FROM users WHERE id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ps_raise('user_not_found', 'no such user in this building');
    END IF;
    IF v_target.id = v_admin.id THEN
        PERFORM ps_raise('conflict', 'an admin cannot disable their own account');
    END IF;
    IF v_target.disabled_at IS NULL THEN
        UPDATE users SET disabled_at = now() WHERE id = p_user;
        FOR v_res IN
            SELECT * FROM reservations
            WHERE user_id = p_user AND status = 'booked' AND lower(period) > now()
            ORDER BY lower(period) FOR UPDATE
        LOOP
            PERFORM ps_cancel(v_res, v_admin.id);
            v_cancelled := v_cancelled + 1;
            -- Another resident's spot is free again for that window: a request may take it.
            IF v_res.owner_id <> p_user THEN
                PERFORM ps_match_window(v_res.building_id, v_res.spot_id, lower(v_res.period),
                                        upper(v_res.period));
            END IF;
        END LOOP;
        -- Nobody is booked for a disabled resident; their requests stop waiting.
        UPDATE requests SET status = 'withdrawn', closed_at = now()
        WHERE building_id = v_target.building_id AND user_id = p_user AND status = 'waiting';
        FOR v_spot IN SELECT * FROM spots WHERE owner_id = p_user ORDER BY id FOR UPDATE LOOP
            FOR v_res IN
                SELECT * FROM reservations
                WHERE spot_id = v_spot.id AND status = 'booked' AND lower(period) > now()
                ORDER BY lower(period) FOR UPDATE
            LOOP
                PERFORM ps_cancel(v_res, v_admin.id);
                v_cancelled := v_cancelled + 1;
            END LOOP;
            -- Offered until now, or until the end of a stay in progress (rule 10).
            v_keep := greatest(now(), (SELECT max(upper(period)) FROM reservations
                                       WHERE spot_id = v_spot.id AND status = 'booked'));
            SELECT max(upper(period)) INTO v_until FROM availability
            WHERE spot_id = v_spot.id AND upper(period) > v_keep;
            IF v_until IS NOT NULL THEN
                DELETE FROM availability WHERE spot_id = v_spot.id AND lower(period) >= v_keep;
                UPDATE availability SET period = tstzrange(lower(period), v_keep, '[)')
                WHERE spot_id = v_spot.id AND lower(period) < v_keep AND upper(period) > v_keep;
                PERFORM ps_emit(v_spot.building_id, 'availability.changed',
                                jsonb_build_object('spot_id', v_spot.id, 'start', ps_iso(v_keep),
                                                   'end', ps_iso(v_until), 'available', false));
                v_withdrawn := v_withdrawn + 1;
            END IF;
        END LOOP;
    END IF;
    UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE user_id = p_user;
    UPDATE sessions SET revoked_at = now() WHERE user_id = p_user AND revoked_at IS NULL;
    GET DIAGNOSTICS v_sessions = ROW_COUNT;
    IF v_target.disabled_at IS NULL THEN
        PERFORM ps_audit('admin.user_disabled', p_user, jsonb_build_object(
            'cancelled', v_cancelled, 'spots_withdrawn', v_withdrawn,
            'sessions_ended', v_sessions));
    END IF;
    RETURN jsonb_build_object('user_id', p_user, 'cancelled', v_cancelled,
                              'spots_withdrawn', v_withdrawn, 'sessions_ended', v_sessions);
END
$$;

CREATE OR REPLACE FUNCTION parkshare.enable_user(p_user uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    UPDATE users SET disabled_at = NULL WHERE id = p_user AND disabled_at IS NOT NULL;
    IF FOUND THEN
        PERFORM ps_audit('admin.user_enabled', p_user, '{}');
    ELSIF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user) THEN
        PERFORM ps_raise('user_not_found', 'no such user in this building');
    END IF;
END
$$;

-- Admin: the policy (rules 5-7, and check-in). A NULL keeps that value. Bookings already made keep the
-- cost and limits they were made under: the policy is read when a reservation is admitted.
CREATE OR REPLACE FUNCTION parkshare.set_policy_v2(p_cost integer, p_starting_credits integer,
                                                   p_max_hours integer, p_horizon_days integer,
                                                   p_checkin_grace_minutes integer,
                                                   p_no_show_owner_share integer)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_before buildings;
    v_after buildings;
BEGIN
    SELECT * INTO v_before FROM buildings WHERE id = v_admin.building_id FOR UPDATE;
    UPDATE buildings SET
        cost = coalesce(p_cost, cost),
        starting_credits = coalesce(p_starting_credits, starting_credits),
        max_hours = coalesce(p_max_hours, max_hours),
        horizon_days = coalesce(p_horizon_days, horizon_days),
        checkin_grace_minutes = coalesce(p_checkin_grace_minutes, checkin_grace_minutes),
        no_show_owner_share = coalesce(p_no_show_owner_share, no_show_owner_share)
    WHERE id = v_admin.building_id
    RETURNING * INTO v_after;
    IF ps_policy_json(v_before) <> ps_policy_json(v_after) THEN
        PERFORM ps_audit('admin.policy_changed', NULL, jsonb_build_object(
            'before', ps_policy_json(v_before), 'after', ps_policy_json(v_after)));
    END IF;
    RETURN ps_policy_json(v_after);
END
$$;

-- The previous release's signature, for its revisions still serving during a rollout.
CREATE OR REPLACE FUNCTION parkshare.set_policy(p_cost integer, p_starting_credits integer,
                                                p_max_hours integer, p_horizon_days integer)
RETURNS jsonb
LANGUAGE sql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT parkshare.set_policy_v2(p_cost, p_starting_credits, p_max_hours, p_horizon_days,
                                   NULL, NULL)
$$;

-- Admin: everyone in the building with their balance and what they hold.
CREATE OR REPLACE FUNCTION parkshare.admin_residents()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'id', u.id, 'email', coalesce(u.email, i.email),
                   'display_name', u.display_name, 'role', u.role,
                   'active', u.disabled_at IS NULL, 'disabled_at', ps_iso(u.disabled_at),
                   'sign_in', CASE WHEN i.user_id IS NOT NULL THEN 'sso' ELSE 'password' END,
                   'credits', a.balance,
                   'spots', (SELECT count(*) FROM spots s WHERE s.owner_id = u.id),
                   'upcoming_reservations',
                       (SELECT count(*) FROM reservations r
                        WHERE r.user_id = u.id AND r.status = 'booked'
                          AND upper(r.period) > now()),
                   'created_at', ps_iso(u.created_at))
               ORDER BY lower(u.display_name), u.id)
        FROM users u
        JOIN accounts a ON a.building_id = u.building_id AND a.user_id = u.id
                       AND a.kind = 'user'
        LEFT JOIN LATERAL (SELECT ui.user_id, ui.email FROM user_identities ui
                           WHERE ui.user_id = u.id
                           ORDER BY ui.last_login_at DESC LIMIT 1) i ON true
        WHERE u.building_id = v_admin.building_id), '[]'::jsonb);
END
$$;

-- Admin: the building's ledger, newest first, optionally one resident's; keyset-paged by id.
CREATE OR REPLACE FUNCTION parkshare.admin_ledger(p_user uuid, p_before bigint, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_account uuid;
BEGIN
    IF p_user IS NOT NULL THEN
        v_account := ps_account(v_admin.building_id, 'user', p_user);
        IF v_account IS NULL THEN
            PERFORM ps_raise('user_not_found', 'no such user in this building');
        END IF;
    END IF;
    RETURN coalesce((
        SELECT jsonb_agg(e ORDER BY (e->>'id')::bigint DESC) FROM (
            SELECT jsonb_build_object(
                'id', l.id, 'at', ps_iso(l.created_at), 'kind', l.kind, 'amount', l.amount,
                'from', jsonb_build_object('account', fa.kind, 'user', ps_user_brief(fa.user_id)),
                'to', jsonb_build_object('account', ta.kind, 'user', ps_user_brief(ta.user_id)),
                'reason', l.reason, 'reservation_id', l.reservation_id,
                'created_by', ps_user_brief(l.created_by)) AS e
            FROM ledger_entries l
            JOIN accounts fa ON fa.id = l.from_account
            JOIN accounts ta ON ta.id = l.to_account
            WHERE l.building_id = v_admin.building_id
              AND (v_account IS NULL OR v_account IN (l.from_account, l.to_account))
              AND (p_before IS NULL OR l.id < p_before)
            ORDER BY l.id DESC
            LIMIT least(greatest(coalesce(p_limit, 100), 1), 500)) x), '[]'::jsonb);
END
$$;

-- Admin: the building's audit log, newest first, optionally one kind of action
-- (`admin.`, `security.`, or a whole name); keyset-paged by id.
CREATE OR REPLACE FUNCTION parkshare.admin_audit(p_action text, p_before bigint, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(e ORDER BY (e->>'id')::bigint DESC) FROM (
            SELECT jsonb_build_object(
                'id', a.id, 'at', ps_iso(a.at), 'action', a.action,
                'actor', ps_user_brief(a.actor_id), 'subject', ps_user_brief(a.subject_id),
                'address', a.address, 'detail', a.detail) AS e
            FROM audit_log a
            WHERE a.building_id = v_admin.building_id
              AND (p_action IS NULL OR a.action = p_action
                   OR (right(p_action, 1) = '.' AND starts_with(a.action, p_action)))
              AND (p_before IS NULL OR a.id < p_before)
            ORDER BY a.id DESC
            LIMIT least(greatest(coalesce(p_limit, 100), 1), 500)) x), '[]'::jsonb);
END
$$;

-- Admin: how the garage is used, per local calendar day of the building and per spot, over
-- [p_start, p_end) (default: the last seven local days up to now). Hours are elapsed time, so
-- a day on which the clocks change has 23 or 25 of them. Booked means booked or settled (a
-- cancelled booking used nothing); available means offered by the spot's owner.
CREATE OR REPLACE FUNCTION parkshare.admin_utilization(p_start timestamptz, p_end timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_zone  text;
    v_start timestamptz;
    v_end   timestamptz;
    v_span  tstzrange;
BEGIN
    SELECT b.timezone INTO STRICT v_zone FROM buildings b WHERE b.id = v_admin.building_id;
    v_end := coalesce(p_end, now());
    v_start := coalesce(p_start,
        ((((v_end AT TIME ZONE v_zone)::date - 6)::timestamp) AT TIME ZONE v_zone));
    IF NOT (ps_is_expressible(v_start) AND ps_is_expressible(v_end)) THEN
        PERFORM ps_raise('invalid_window', 'times lie between the years 2000 and 9998');
    END IF;
    IF v_end <= v_start OR v_end - v_start > interval '93 days' THEN
        PERFORM ps_raise('invalid_window', 'end must follow start, by at most 93 days');
    END IF;
    v_span := tstzrange(v_start, v_end, '[)');

    RETURN jsonb_build_object(
        'start', ps_iso(v_start),
        'end', ps_iso(v_end),
        'timezone', v_zone,
        'days', (
            WITH days AS (
                SELECT d::date AS day,
                       tstzrange((d::date)::timestamp AT TIME ZONE v_zone,
                                 (d::date + 1)::timestamp AT TIME ZONE v_zone, '[)')
                           * v_span AS period
                FROM generate_series((v_start AT TIME ZONE v_zone)::date,
                                     ((v_end - interval '1 microsecond') AT TIME ZONE v_zone)::date,
                                     interval '1 day') d
            )
            SELECT jsonb_agg(jsonb_build_object(
                       'date', to_char(d.day, 'YYYY-MM-DD'),
                       'available_hours', ps_hours_within(d.period, 'availability'),
                       'booked_hours', ps_hours_within(d.period, 'reservations'))
                   ORDER BY d.day)
            FROM days d),
        'spots', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'spot_id', s.id, 'label', s.label,
                       'available_hours', ps_hours_within(v_span, 'availability', s.id),
                       'booked_hours', ps_hours_within(v_span, 'reservations', s.id))
                   ORDER BY s.label)
            FROM spots s
            WHERE s.building_id = v_admin.building_id), '[]'::jsonb));
END
$$;

-- Hours of `p_kind` ('availability' or booked/settled 'reservations') of the current
-- building (one spot, or all) that fall inside `p_period`, rounded to hundredths.
CREATE OR REPLACE FUNCTION parkshare.ps_hours_within(p_period tstzrange, p_kind text, p_spot uuid DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE SET search_path = parkshare, pg_temp
AS $$
    SELECT round(coalesce(sum(extract(epoch FROM upper(x.p * p_period) - lower(x.p * p_period))),
                          0) / 3600, 2)
    FROM (
        SELECT a.period AS p FROM availability a
        WHERE p_kind = 'availability' AND a.building_id = ps_building()
          AND (p_spot IS NULL OR a.spot_id = p_spot) AND a.period && p_period
        UNION ALL
        SELECT r.period FROM reservations r
        WHERE p_kind = 'reservations' AND r.building_id = ps_building()
          AND r.status IN ('booked', 'settled')
          AND (p_spot IS NULL OR r.spot_id = p_spot) AND r.period && p_period
    ) x
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.create_user(text, text, text, text),
    parkshare.grant_credits(uuid, integer, text),
    parkshare.create_invite(text, text, timestamp with time zone, text),
    parkshare.settle_building(),
    parkshare.disable_user(uuid),
    parkshare.enable_user(uuid),
    parkshare.set_policy(integer, integer, integer, integer),
    parkshare.set_policy_v2(integer, integer, integer, integer, integer, integer),
    parkshare.admin_residents(),
    parkshare.admin_ledger(uuid, bigint, integer),
    parkshare.admin_audit(text, bigint, integer),
    parkshare.admin_utilization(timestamp with time zone, timestamp with time zone)
TO parkshare_app;
