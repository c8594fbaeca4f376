-- Built-in accounts: login lookup and refresh tokens. Refresh tokens are opaque to clients
-- and stored as hashes; every use rotates them, and presenting a rotated one again (a
-- stolen copy, or a replay) revokes the whole family of that login.

-- System: login names no building, so the lookup runs without a tenant context.
CREATE FUNCTION parkshare.login_lookup(p_email text)
RETURNS TABLE (user_id uuid, building_id uuid, password_hash text, role text, active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT id, building_id, password_hash, role, disabled_at IS NULL
    FROM users WHERE lower(email) = lower(p_email)
$$;

CREATE FUNCTION parkshare.issue_refresh_token(p_user uuid, p_hash text, p_family uuid,
                                              p_expires_at timestamptz)
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
    INSERT INTO refresh_tokens (building_id, user_id, family_id, token_hash, expires_at)
    VALUES (v_building, p_user, p_family, p_hash, p_expires_at);
END
$$;

-- Returns the outcome instead of raising, so that a detected reuse commits its revocation.
CREATE FUNCTION parkshare.rotate_refresh_token(p_old_hash text, p_new_hash text,
                                               p_expires_at timestamptz)
RETURNS TABLE (outcome text, user_id uuid, building_id uuid, role text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_token refresh_tokens;
    v_user users;
BEGIN
    SELECT * INTO v_token FROM refresh_tokens WHERE token_hash = p_old_hash FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::uuid, NULL::text;
        RETURN;
    END IF;
    PERFORM set_config('parkshare.building_id', v_token.building_id::text, true);
    IF v_token.rotated_at IS NOT NULL OR v_token.revoked_at IS NOT NULL THEN
        UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE family_id = v_token.family_id;
        RETURN QUERY SELECT 'reused', NULL::uuid, NULL::uuid, NULL::text;
        RETURN;
    END IF;
    SELECT * INTO v_user FROM users WHERE id = v_token.user_id;
    IF v_token.expires_at <= now() OR v_user.disabled_at IS NOT NULL THEN
        RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::uuid, NULL::text;
        RETURN;
    END IF;
    UPDATE refresh_tokens SET rotated_at = now() WHERE id = v_token.id;
    INSERT INTO refresh_tokens (building_id, user_id, family_id, token_hash, expires_at)
    VALUES (v_token.building_id, v_token.user_id, v_token.family_id, p_new_hash, p_expires_at);
    RETURN QUERY SELECT 'ok', v_user.id, v_user.building_id, v_user.role;
END
$$;

-- Logout: the family of the presented token ends; unknown tokens are ignored (no oracle).
CREATE FUNCTION parkshare.revoke_refresh_token(p_hash text)
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
    END IF;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.login_lookup(text),
    parkshare.issue_refresh_token(uuid, text, uuid, timestamptz),
    parkshare.rotate_refresh_token(text, text, timestamptz),
    parkshare.revoke_refresh_token(text)
TO parkshare_app;
