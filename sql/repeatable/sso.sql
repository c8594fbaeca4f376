-- Single sign-on through a building's own OpenID Connect provider. The provider proves who
-- someone is (issuer + subject); the building's settings say who may come in; parkshare
-- then issues its own tokens exactly as for a password login.

-- Admin: the building's provider as the admin sees it. The client secret never leaves.
CREATE OR REPLACE FUNCTION parkshare.sso_settings()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    RETURN (SELECT jsonb_build_object(
                'issuer', s.issuer, 'client_id', s.client_id,
                'has_client_secret', s.client_secret IS NOT NULL,
                'email_domain', s.email_domain, 'required_group', s.required_group,
                'updated_at', ps_iso(s.updated_at))
            FROM building_sso s WHERE s.building_id = v_admin.building_id);
END
$$;

-- Admin: set the provider. A NULL secret keeps the stored one (changing a gate does not
-- mean typing the secret again); p_clear_secret removes it (a public client).
CREATE OR REPLACE FUNCTION parkshare.set_sso(p_issuer text, p_client_id text, p_client_secret bytea,
                                             p_clear_secret boolean, p_email_domain text,
                                             p_required_group text)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    INSERT INTO building_sso (building_id, issuer, client_id, client_secret, email_domain,
                              required_group, updated_by)
    VALUES (v_admin.building_id, p_issuer, p_client_id, p_client_secret,
            lower(p_email_domain), p_required_group, v_admin.id)
    ON CONFLICT (building_id) DO UPDATE SET
        issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id,
        client_secret = CASE WHEN p_clear_secret THEN NULL
                             ELSE coalesce(EXCLUDED.client_secret, building_sso.client_secret) END,
        email_domain = EXCLUDED.email_domain, required_group = EXCLUDED.required_group,
        updated_at = now(), updated_by = EXCLUDED.updated_by;
    PERFORM ps_audit('admin.sso_configured', NULL, jsonb_build_object(
        'issuer', p_issuer, 'client_id', p_client_id, 'email_domain', lower(p_email_domain),
        'required_group', p_required_group,
        'client_secret', CASE WHEN p_clear_secret THEN 'removed'
                              WHEN p_client_secret IS NOT NULL THEN 'changed'
                              ELSE 'kept' END));
    RETURN sso_settings();
END
$$;

CREATE OR REPLACE FUNCTION parkshare.remove_sso()
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    DELETE FROM building_sso WHERE building_id = v_admin.building_id;
    IF FOUND THEN
        PERFORM ps_audit('admin.sso_removed', NULL, '{}');
    END IF;
END
$$;

-- System: what the auth function needs to talk to the provider (the secret still sealed).
CREATE OR REPLACE FUNCTION parkshare.sso_config(p_building uuid)
RETURNS TABLE (building_id uuid, issuer text, client_id text, client_secret bytea)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    PERFORM ps_system();
    RETURN QUERY SELECT s.building_id, s.issuer, s.client_id, s.client_secret
                 FROM building_sso s WHERE s.building_id = p_building;
    IF NOT FOUND THEN
        PERFORM ps_raise('sso_not_configured', 'this building has no single sign-on');
    END IF;
END
$$;

-- System: someone the provider vouched for (the ID token is verified by then) comes in.
-- Found by (issuer, subject) or created as a resident; the building's gates apply at every
-- sign-in. Answers the one-time code's owner; the code's hash is stored here.
CREATE OR REPLACE FUNCTION parkshare.sso_sign_in(p_building uuid, p_issuer text, p_subject text,
                                                 p_email text, p_email_verified boolean, p_groups text[],
                                                 p_name text, p_handoff_hash text,
                                                 p_handoff_expires_at timestamptz)
RETURNS TABLE (user_id uuid, created boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_sso building_sso;
    v_identity user_identities;
    v_user users;
    v_name text;
    v_created boolean := false;
BEGIN
    PERFORM ps_system();
    PERFORM set_config('parkshare.building_id', p_building::text, true);
    SELECT * INTO v_sso FROM building_sso WHERE building_id = p_building;
    IF NOT FOUND THEN
        PERFORM ps_raise('sso_not_configured', 'this building has no single sign-on');
    END IF;
    IF v_sso.issuer <> p_issuer THEN
        PERFORM ps_raise('sso_failed', 'the ID token comes from another issuer');
    END IF;
    -- coalesce: a missing email (or group list) fails a gate, it does not slip past as NULL.
    IF v_sso.email_domain IS NOT NULL AND NOT coalesce(
        coalesce(p_email_verified, true)
        AND lower(split_part(p_email, '@', 2)) = v_sso.email_domain
        AND p_email LIKE '%_@_%', false)
    THEN
        PERFORM ps_raise('sso_forbidden',
                         format('only verified addresses at %s may sign in', v_sso.email_domain));
    END IF;
    IF v_sso.required_group IS NOT NULL
       AND NOT coalesce(v_sso.required_group = ANY (p_groups), false) THEN
        PERFORM ps_raise('sso_forbidden', 'the provider does not list you in the required group');
    END IF;

    SELECT * INTO v_identity FROM user_identities
    WHERE building_id = p_building AND issuer = p_issuer AND subject = p_subject FOR UPDATE;
    IF FOUND THEN
        SELECT * INTO v_user FROM users WHERE id = v_identity.user_id;
        IF v_user.disabled_at IS NOT NULL THEN
            PERFORM ps_raise('sso_forbidden', 'this account is disabled');
        END IF;
        UPDATE user_identities SET email = left(p_email, 254), last_login_at = now()
        WHERE building_id = p_building AND issuer = p_issuer AND subject = p_subject;
    ELSE
        -- The provider's name, else the address's local part, else "Resident"; without the
        -- invisible characters a display name may not hold (the provider is not ours).
        v_name := left(btrim(regexp_replace(coalesce(p_name, ''), ps_invisible(), '', 'g')), 100);
        IF btrim(normalize(v_name, NFKC)) = '' THEN
            v_name := left(btrim(regexp_replace(split_part(coalesce(p_email, ''), '@', 1),
                                                ps_invisible(), '', 'g')), 100);
        END IF;
        IF btrim(normalize(v_name, NFKC)) = '' THEN
            v_name := 'Resident';
        END IF;
        INSERT INTO users (building_id, email, password_hash, display_name, role)
        VALUES (p_building, NULL, NULL, v_name, 'resident')
        RETURNING * INTO v_user;
        INSERT INTO user_identities (building_id, issuer, subject, user_id, email)
        VALUES (p_building, p_issuer, p_subject, v_user.id, left(p_email, 254));
        v_created := true;
    END IF;
    PERFORM set_config('parkshare.user_id', v_user.id::text, true);
    INSERT INTO sso_handoffs (code_hash, building_id, user_id, expires_at)
    VALUES (p_handoff_hash, p_building, v_user.id, p_handoff_expires_at);
    IF v_created THEN
        PERFORM ps_audit('account.joined_by_sso', v_user.id,
                         jsonb_build_object('issuer', p_issuer, 'email', left(p_email, 254)));
    END IF;
    RETURN QUERY SELECT v_user.id, v_created;
END
$$;

-- System: the app trades the one-time code; it works once, for a minute, for an active user.
CREATE OR REPLACE FUNCTION parkshare.sso_redeem(p_code_hash text)
RETURNS TABLE (user_id uuid, building_id uuid, role text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_handoff sso_handoffs;
    v_user users;
BEGIN
    PERFORM ps_system();
    SELECT * INTO v_handoff FROM sso_handoffs WHERE code_hash = p_code_hash FOR UPDATE;
    IF NOT FOUND OR v_handoff.used_at IS NOT NULL OR v_handoff.expires_at <= now() THEN
        PERFORM ps_raise('invalid_token', 'the sign-in code is unknown, used or expired');
    END IF;
    PERFORM set_config('parkshare.building_id', v_handoff.building_id::text, true);
    UPDATE sso_handoffs SET used_at = now() WHERE code_hash = p_code_hash;
    SELECT * INTO v_user FROM users WHERE id = v_handoff.user_id AND disabled_at IS NULL;
    IF NOT FOUND THEN
        PERFORM ps_raise('invalid_token', 'no active user for this sign-in');
    END IF;
    RETURN QUERY SELECT v_user.id, v_user.building_id, v_user.role;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.sso_settings(),
    parkshare.set_sso(text, text, bytea, boolean, text, text),
    parkshare.remove_sso(),
    parkshare.sso_config(uuid),
    parkshare.sso_sign_in(uuid, text, text, text, boolean, text[], text, text, timestamp with time zone),
    parkshare.sso_redeem(text)
TO parkshare_app;
