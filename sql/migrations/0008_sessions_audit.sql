-- Sessions a resident can see and end, and the append-only audit log of admin actions and
-- security events.

-- One row per login: the refresh-token family of that login, with what the resident needs
-- to recognise it. Access tokens carry the session id (claim `sid`), and ps_actor refuses a
-- token whose session has ended, so revoking a session takes effect at once, not when its
-- short-lived access token expires.
CREATE TABLE parkshare.sessions (
    id           uuid PRIMARY KEY,
    building_id  uuid NOT NULL,
    user_id      uuid NOT NULL,
    method       text NOT NULL DEFAULT 'password' CHECK (method IN ('password', 'sso')),
    user_agent   text CHECK (length(user_agent) <= 300),
    address      text CHECK (length(address) <= 100),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id)
);
CREATE INDEX sessions_user_idx ON parkshare.sessions (user_id, last_used_at DESC);

INSERT INTO parkshare.sessions (id, building_id, user_id, created_at, last_used_at, revoked_at)
SELECT family_id, (array_agg(building_id))[1], (array_agg(user_id))[1], min(created_at),
       max(created_at), max(revoked_at)
FROM parkshare.refresh_tokens GROUP BY family_id;

ALTER TABLE parkshare.refresh_tokens
    ADD CONSTRAINT refresh_tokens_session_fkey FOREIGN KEY (family_id)
    REFERENCES parkshare.sessions (id);

-- Who did what, and every refused attempt. building_id is NULL for what names no building
-- (a failed login for an unknown address, a forged token): the operator sees those, no
-- building's admin does.
CREATE TABLE parkshare.audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    building_id uuid REFERENCES parkshare.buildings,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id    uuid,
    action      text NOT NULL CONSTRAINT audit_log_action_valid
                    CHECK (action ~ '^(admin|account|security)\.[a-z_]+$'),
    subject_id  uuid,
    address     text CHECK (length(address) <= 100),
    detail      jsonb NOT NULL DEFAULT '{}' CONSTRAINT audit_log_detail_valid
                    CHECK (jsonb_typeof(detail) = 'object' AND length(detail::text) <= 4000)
);
CREATE INDEX audit_log_building_idx ON parkshare.audit_log (building_id, id DESC);

CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON parkshare.audit_log
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON parkshare.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION parkshare.tg_immutable();

-- Tenancy for a building-owned table, as 0001 set it up for the first ones: row-level
-- security enabled and forced, the tenant policy, and the owner's system policy. (Owner-only:
-- migrations call it.)
CREATE FUNCTION parkshare.ps_tenant_table(p_table text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('ALTER TABLE parkshare.%I ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE parkshare.%I FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE format(
        'CREATE POLICY tenant ON parkshare.%I USING (building_id = (SELECT parkshare.ps_building()))'
        ' WITH CHECK (building_id = (SELECT parkshare.ps_building()))', p_table);
    EXECUTE format(
        'CREATE POLICY system ON parkshare.%I TO parkshare_owner'
        ' USING ((SELECT parkshare.ps_building()) IS NULL)'
        ' WITH CHECK ((SELECT parkshare.ps_building()) IS NULL)', p_table);
END
$$;

SELECT parkshare.ps_tenant_table('sessions'), parkshare.ps_tenant_table('audit_log');

CREATE FUNCTION parkshare.ps_session() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('parkshare.session_id', true), '')::uuid $$;

-- An entry in the acting building's log, by the acting user.
CREATE FUNCTION parkshare.ps_audit(p_action text, p_subject uuid, p_detail jsonb)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    INSERT INTO audit_log (building_id, actor_id, action, subject_id, detail)
    VALUES (ps_building(), ps_user(), p_action, p_subject, coalesce(p_detail, '{}'))
$$;

-- Security events the functions observe (failed logins, refused tokens, rate limits, SSO
-- refusals). Only `security.*` actions: an admin action is written by its own procedure.
CREATE FUNCTION parkshare.audit_security(p_action text, p_building uuid, p_user uuid,
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

-- The user this transaction acts for, as before, and now also refused when the session of
-- the access token has ended (logout, revoked by the resident, disabled by an admin).
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
    IF ps_session() IS NOT NULL AND EXISTS (
        SELECT 1 FROM sessions WHERE id = ps_session() AND revoked_at IS NOT NULL)
    THEN
        PERFORM ps_raise('invalid_token', 'this session has ended; sign in again');
    END IF;
    RETURN v_user;
END
$$;

-- A login: its session and first refresh token. Also what issue_refresh_token (the previous
-- revision's call) now does, so both revisions can serve during a rollout.
CREATE FUNCTION parkshare.start_session(p_user uuid, p_hash text, p_session uuid,
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
    ON CONFLICT (id) DO NOTHING;
    INSERT INTO refresh_tokens (building_id, user_id, family_id, token_hash, expires_at)
    VALUES (v_building, p_user, p_session, p_hash, p_expires_at);
    PERFORM ps_audit('security.login', p_user,
                     jsonb_build_object('method', p_method, 'session_id', p_session));
END
$$;

CREATE OR REPLACE FUNCTION parkshare.issue_refresh_token(p_user uuid, p_hash text,
                                                         p_family uuid,
                                                         p_expires_at timestamptz)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$ SELECT start_session(p_user, p_hash, p_family, p_expires_at, 'password', NULL, NULL) $$;

-- Rotation as before, plus: an ended session refuses its tokens, a used one is noted, a
-- detected reuse ends the session and is written to the audit log; answers the session too.
CREATE FUNCTION parkshare.refresh_session(p_old_hash text, p_new_hash text,
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
    SELECT * INTO v_session FROM sessions WHERE id = v_token.family_id FOR UPDATE;
    IF v_token.rotated_at IS NOT NULL OR v_token.revoked_at IS NOT NULL
       OR v_session.revoked_at IS NOT NULL THEN
        UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE family_id = v_token.family_id;
        IF v_session.revoked_at IS NULL THEN
            UPDATE sessions SET revoked_at = now() WHERE id = v_session.id;
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
    UPDATE refresh_tokens SET rotated_at = now() WHERE id = v_token.id;
    UPDATE sessions SET last_used_at = now() WHERE id = v_session.id;
    INSERT INTO refresh_tokens (building_id, user_id, family_id, token_hash, expires_at)
    VALUES (v_token.building_id, v_token.user_id, v_token.family_id, p_new_hash, p_expires_at);
    RETURN QUERY SELECT 'ok', v_user.id, v_user.building_id, v_user.role, v_session.id;
END
$$;

-- The previous revision's call, kept for the length of a rollout.
CREATE OR REPLACE FUNCTION parkshare.rotate_refresh_token(p_old_hash text, p_new_hash text,
                                                          p_expires_at timestamptz)
RETURNS TABLE (outcome text, user_id uuid, building_id uuid, role text)
LANGUAGE sql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT outcome, user_id, building_id, role FROM refresh_session(p_old_hash, p_new_hash,
                                                                     p_expires_at)
$$;

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
        WHERE id = v_token.family_id;
    END IF;
END
$$;

-- The signed-in resident's sessions that can still be used.
CREATE FUNCTION parkshare.my_sessions()
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
CREATE FUNCTION parkshare.revoke_session(p_session uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users := ps_actor();
BEGIN
    UPDATE sessions SET revoked_at = coalesce(revoked_at, now())
    WHERE id = p_session AND user_id = v_user.id;
    IF NOT FOUND THEN
        PERFORM ps_raise('session_not_found', 'no such session of yours');
    END IF;
    UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
    WHERE family_id = p_session;
    PERFORM ps_audit('account.session_revoked', v_user.id,
                     jsonb_build_object('session_id', p_session));
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.ps_session(),
    parkshare.audit_security(text, uuid, uuid, text, jsonb),
    parkshare.start_session(uuid, text, uuid, timestamptz, text, text, text),
    parkshare.refresh_session(text, text, timestamptz),
    parkshare.my_sessions(),
    parkshare.revoke_session(uuid)
TO parkshare_app;
