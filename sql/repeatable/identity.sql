-- Accounts: login lookup, sessions and their refresh tokens (opaque to clients, stored as
-- hashes; every use rotates them, and presenting a rotated one again, a stolen copy or a
-- replay, ends the whole session), sign-up by invite, the resident's own profile and
-- password, and the security events the functions observe.

CREATE OR REPLACE FUNCTION parkshare.sign_up(p_code_hash text, p_email text,
                                             p_password_hash text, p_display_name text)
RETURNS parkshare.users
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_invite invites;
    v_user users;
BEGIN
    SELECT * INTO v_invite FROM invites WHERE code_hash = p_code_hash FOR UPDATE;
    IF NOT FOUND OR v_invite.used_at IS NOT NULL OR v_invite.expires_at <= now()
       OR ps_email_key(v_invite.email) <> ps_email_key(p_email) THEN
        PERFORM ps_raise('invalid_invite', 'the invite code is unknown, used, expired or '
                                           'meant for another address');
    END IF;
    PERFORM set_config('parkshare.building_id', v_invite.building_id::text, true);
    INSERT INTO users (building_id, email, password_hash, display_name, role)
    VALUES (v_invite.building_id, p_email, p_password_hash, p_display_name, v_invite.role)
    RETURNING * INTO v_user;
    PERFORM set_config('parkshare.user_id', v_user.id::text, true);
    UPDATE invites SET used_at = now(), used_by = v_user.id
    WHERE building_id = v_invite.building_id AND id = v_invite.id;
    PERFORM ps_audit('account.joined_by_invite', v_user.id,
                     jsonb_build_object('invite_id', v_invite.id, 'role', v_invite.role));
    RETURN v_user;
END
$$;

-- System: login names no building, so the lookup runs without a tenant context, through
-- the directory of sign-in addresses (one user per address across all buildings).
CREATE OR REPLACE FUNCTION parkshare.login_lookup(p_email text)
RETURNS TABLE (user_id uuid, building_id uuid, password_hash text, role text, active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT u.id, u.building_id, u.password_hash, u.role, u.disabled_at IS NULL
    FROM login_emails e
    JOIN users u ON u.building_id = e.building_id AND u.id = e.user_id
    WHERE e.email_key = ps_email_key(p_email)
$$;

-- What the login limiter counts an account's failures under: the address's key, hashed so
-- that no address sits in the cache in clear. Every spelling that logs into one account
-- counts against that account.
CREATE OR REPLACE FUNCTION parkshare.ps_email_digest(p_email text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT encode(sha256(convert_to(parkshare.ps_email_key(p_email), 'UTF8')), 'hex') $$;

CREATE OR REPLACE FUNCTION parkshare.revoke_refresh_token(p_hash text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_token refresh_tokens;
BEGIN
    SELECT * INTO v_token FROM refresh_tokens WHERE token_hash = p_hash;
    IF FOUND THEN
        PERFORM set_config('parkshare.building_id', v_token.building_id::text, true);
        UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE family_id = v_token.family_id;
        UPDATE sessions SET revoked_at = coalesce(revoked_at, now())
        WHERE building_id = v_token.building_id AND id = v_token.family_id;
    END IF;
END
$$;

-- Login upgrades a stored password hash whose argon2 parameters are older than the current
-- ones, at the one moment the password is known.

-- Compare-and-set on the old hash: a password changed in the meantime wins. (The login
-- function, which reads hashes through login_lookup to verify them, is trusted with this.)
CREATE OR REPLACE FUNCTION parkshare.rehash_password(p_user uuid, p_old_hash text, p_new_hash text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_building uuid;
BEGIN
    SELECT building_id INTO v_building FROM users WHERE id = p_user;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM set_config('parkshare.building_id', v_building::text, true);
    UPDATE users SET password_hash = p_new_hash
    WHERE id = p_user AND password_hash = p_old_hash;
END
$$;

-- Security events the functions observe (failed logins, refused tokens, rate limits, SSO
-- refusals). Only `security.*` actions: an admin action is written by its own procedure.
CREATE OR REPLACE FUNCTION parkshare.audit_security(p_action text, p_building uuid, p_user uuid,
                                                    p_address text, p_detail jsonb)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    PERFORM ps_system();
    IF p_action !~ '^security\.' THEN
        PERFORM ps_raise('invalid_request', 'only security events are written from outside');
    END IF;
    INSERT INTO audit_log (building_id, actor_id, action, subject_id, address, detail)
    VALUES ((SELECT id FROM buildings WHERE id = p_building), NULL, p_action, p_user,
            left(p_address, 100), coalesce(p_detail, '{}'));
END
$$;

-- A login: its session and first refresh token.
CREATE OR REPLACE FUNCTION parkshare.start_session(p_user uuid, p_hash text, p_session uuid,
                                                   p_expires_at timestamptz, p_method text,
                                                   p_user_agent text, p_address text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_building uuid;
BEGIN
    SELECT building_id INTO v_building FROM users WHERE id = p_user AND disabled_at IS NULL;
    IF NOT FOUND THEN
        PERFORM ps_raise('invalid_token', 'no active user for this token');
    END IF;
    PERFORM set_config('parkshare.building_id', v_building::text, true);
    PERFORM set_config('parkshare.user_id', p_user::text, true);
    INSERT INTO sessions (id, building_id, user_id, method, user_agent, address)
    VALUES (p_session, v_building, p_user, p_method, left(p_user_agent, 300),
            left(p_address, 100))
    ON CONFLICT (building_id, id) DO NOTHING;
    INSERT INTO refresh_tokens (building_id, user_id, family_id, token_hash, expires_at)
    VALUES (v_building, p_user, p_session, p_hash, p_expires_at);
    PERFORM ps_audit('security.login', p_user,
                     jsonb_build_object('method', p_method, 'session_id', p_session));
END
$$;

-- Trade a refresh token for the next one of its session. An ended session refuses its
-- tokens; a detected reuse ends the session and is written to the audit log. Returns the
-- outcome instead of raising, so that a detected reuse commits its revocation.
CREATE OR REPLACE FUNCTION parkshare.refresh_session(p_old_hash text, p_new_hash text,
                                                     p_expires_at timestamptz)
RETURNS TABLE (outcome text, user_id uuid, building_id uuid, role text, session_id uuid)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_token refresh_tokens;
    v_session sessions;
    v_user users;
BEGIN
    SELECT * INTO v_token FROM refresh_tokens WHERE token_hash = p_old_hash FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::uuid, NULL::text, NULL::uuid;
        RETURN;
    END IF;
    PERFORM set_config('parkshare.building_id', v_token.building_id::text, true);
    SELECT * INTO v_session FROM sessions s
    WHERE s.building_id = v_token.building_id AND s.id = v_token.family_id FOR UPDATE;
    IF v_token.rotated_at IS NOT NULL OR v_token.revoked_at IS NOT NULL
       OR v_session.revoked_at IS NOT NULL THEN
        UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE family_id = v_token.family_id;
        IF v_session.revoked_at IS NULL THEN
            UPDATE sessions s SET revoked_at = now()
            WHERE s.building_id = v_session.building_id AND s.id = v_session.id;
            INSERT INTO audit_log (building_id, action, subject_id, detail)
            VALUES (v_token.building_id, 'security.refresh_reused', v_token.user_id,
                    jsonb_build_object('session_id', v_session.id));
        END IF;
        RETURN QUERY SELECT 'reused', NULL::uuid, NULL::uuid, NULL::text, NULL::uuid;
        RETURN;
    END IF;
    SELECT * INTO v_user FROM users WHERE id = v_token.user_id;
    IF v_token.expires_at <= now() OR v_user.disabled_at IS NOT NULL THEN
        RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::uuid, NULL::text, NULL::uuid;
        RETURN;
    END IF;
    UPDATE refresh_tokens t SET rotated_at = now()
    WHERE t.building_id = v_token.building_id AND t.id = v_token.id;
    UPDATE sessions s SET last_used_at = now()
    WHERE s.building_id = v_session.building_id AND s.id = v_session.id;
    INSERT INTO refresh_tokens (building_id, user_id, family_id, token_hash, expires_at)
    VALUES (v_token.building_id, v_token.user_id, v_token.family_id, p_new_hash, p_expires_at);
    RETURN QUERY SELECT 'ok', v_user.id, v_user.building_id, v_user.role, v_session.id;
END
$$;

-- The signed-in resident's sessions that can still be used.
CREATE OR REPLACE FUNCTION parkshare.my_sessions()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users := ps_actor();
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'id', s.id, 'method', s.method, 'user_agent', s.user_agent,
                   'address', s.address, 'created_at', ps_iso(s.created_at),
                   'last_used_at', ps_iso(s.last_used_at), 'current', s.id = ps_session())
               ORDER BY s.last_used_at DESC)
        FROM sessions s
        WHERE s.user_id = v_user.id AND s.revoked_at IS NULL
          AND EXISTS (SELECT 1 FROM refresh_tokens t
                      WHERE t.family_id = s.id AND t.rotated_at IS NULL
                        AND t.revoked_at IS NULL AND t.expires_at > now())), '[]'::jsonb);
END
$$;

-- End one of the resident's own sessions (the current one too: that is a logout).
CREATE OR REPLACE FUNCTION parkshare.revoke_session(p_session uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users := ps_actor();
BEGIN
    UPDATE sessions SET revoked_at = coalesce(revoked_at, now())
    WHERE building_id = v_user.building_id AND id = p_session AND user_id = v_user.id;
    IF NOT FOUND THEN
        PERFORM ps_raise('session_not_found', 'no such session of yours');
    END IF;
    UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
    WHERE family_id = p_session;
    PERFORM ps_audit('account.session_revoked', v_user.id,
                     jsonb_build_object('session_id', p_session));
END
$$;

-- The resident's own name. Their spots carry it, so the garage hears of the change.
CREATE OR REPLACE FUNCTION parkshare.update_profile(p_display_name text)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users := ps_actor();
    v_spot spots;
BEGIN
    UPDATE users SET display_name = p_display_name WHERE id = v_user.id RETURNING * INTO v_user;
    FOR v_spot IN SELECT * FROM spots WHERE owner_id = v_user.id ORDER BY id LOOP
        PERFORM ps_emit(v_spot.building_id, 'spot.updated',
                        jsonb_build_object('spot', ps_spot_json(v_spot)));
    END LOOP;
    PERFORM ps_audit('account.profile_changed', v_user.id,
                     jsonb_build_object('display_name', p_display_name));
    RETURN jsonb_build_object('id', v_user.id, 'display_name', v_user.display_name);
END
$$;

-- The stored hash, for the auth function to verify the current password against.
CREATE OR REPLACE FUNCTION parkshare.my_password_hash()
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users := ps_actor();
BEGIN
    IF v_user.password_hash IS NULL THEN
        PERFORM ps_raise('no_password', 'this account signs in through single sign-on');
    END IF;
    RETURN v_user.password_hash;
END
$$;

-- Compare-and-set on the hash that was verified; every other session of the resident ends.
CREATE OR REPLACE FUNCTION parkshare.change_password(p_old_hash text, p_new_hash text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users := ps_actor();
    v_ended integer;
BEGIN
    UPDATE users SET password_hash = p_new_hash
    WHERE id = v_user.id AND password_hash = p_old_hash;
    IF NOT FOUND THEN
        PERFORM ps_raise('conflict', 'the password changed meanwhile; try again');
    END IF;
    UPDATE sessions SET revoked_at = now()
    WHERE user_id = v_user.id AND revoked_at IS NULL AND id IS DISTINCT FROM ps_session();
    GET DIAGNOSTICS v_ended = ROW_COUNT;
    UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
    WHERE user_id = v_user.id AND family_id IS DISTINCT FROM ps_session();
    PERFORM ps_audit('account.password_changed', v_user.id,
                     jsonb_build_object('sessions_ended', v_ended));
    RETURN v_ended;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.ps_email_digest(text),
    parkshare.sign_up(text, text, text, text),
    parkshare.login_lookup(text),
    parkshare.revoke_refresh_token(text),
    parkshare.rehash_password(uuid, text, text),
    parkshare.audit_security(text, uuid, uuid, text, jsonb),
    parkshare.start_session(uuid, text, uuid, timestamp with time zone, text, text, text),
    parkshare.refresh_session(text, text, timestamp with time zone),
    parkshare.my_sessions(),
    parkshare.revoke_session(uuid),
    parkshare.update_profile(text),
    parkshare.my_password_hash(),
    parkshare.change_password(text, text)
TO parkshare_app;
