-- Login upgrades a stored password hash whose argon2 parameters are older than the current
-- ones, at the one moment the password is known.

-- Compare-and-set on the old hash: a password changed in the meantime wins. (The login
-- function, which reads hashes through login_lookup to verify them, is trusted with this.)
CREATE FUNCTION parkshare.rehash_password(p_user uuid, p_old_hash text, p_new_hash text)
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

GRANT EXECUTE ON FUNCTION parkshare.rehash_password(uuid, text, text) TO parkshare_app;
