-- Lobby displays: an admin's screens (created with a token shown once, listed, revoked) and
-- what a screen reads with its token: the garage now, with nobody's name or id in it. The
-- token is made and hashed by the function (functions/admin/main.py); only its SHA-256 is
-- here. The relay checks a display's token as its socket opens (display_open) and again every
-- few seconds while it stays open (displays_live), so a revoked screen goes dark in seconds.

CREATE OR REPLACE FUNCTION parkshare.ps_display_json(d parkshare.displays) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object(
        'id', d.id, 'name', d.name, 'created_at', parkshare.ps_iso(d.created_at),
        'last_seen_at', parkshare.ps_iso(d.last_seen_at))
$$;

-- The display whose token hashes to `p_token_hash`, unless it was revoked; its last sight
-- moves forward at most once a minute (a board polls, and a write per poll is not needed to
-- tell an admin whether the screen is alive).
CREATE OR REPLACE FUNCTION parkshare.ps_display_seen(p_token_hash bytea)
RETURNS parkshare.displays
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_display displays;
BEGIN
    -- Under no tenant context: the token alone names the building.
    IF ps_building() IS NOT NULL THEN
        PERFORM ps_raise('forbidden', 'a display names its building by its token alone');
    END IF;
    SELECT * INTO v_display FROM displays
    WHERE token_hash = p_token_hash AND revoked_at IS NULL;
    IF NOT FOUND THEN
        PERFORM ps_raise('invalid_token', 'this display token is unknown or was revoked');
    END IF;
    IF v_display.last_seen_at IS NULL OR v_display.last_seen_at < now() - interval '1 minute' THEN
        UPDATE displays SET last_seen_at = now()
        WHERE building_id = v_display.building_id AND id = v_display.id
        RETURNING * INTO v_display;
    END IF;
    RETURN v_display;
END
$$;

-- Admin: a new display named `p_name` (where it hangs), whose token the function made and
-- answers once. At most 50 displays of a building are active at a time.
CREATE OR REPLACE FUNCTION parkshare.create_display(p_name text, p_token_hash bytea)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_display displays;
BEGIN
    IF (SELECT count(*) FROM displays
        WHERE building_id = v_admin.building_id AND revoked_at IS NULL) >= 50 THEN
        PERFORM ps_raise('invalid_request', 'a building has at most 50 active displays');
    END IF;
    INSERT INTO displays (building_id, name, token_hash, created_by)
    VALUES (v_admin.building_id, btrim(p_name), p_token_hash, v_admin.id)
    RETURNING * INTO v_display;
    PERFORM ps_audit('admin.display_created', v_display.id,
                     jsonb_build_object('name', v_display.name));
    RETURN ps_display_json(v_display);
END
$$;

-- Admin: the building's active displays, oldest first (never a token or its hash).
CREATE OR REPLACE FUNCTION parkshare.admin_displays()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    RETURN jsonb_build_object('displays', coalesce((
        SELECT jsonb_agg(ps_display_json(d) ORDER BY d.created_at, d.id)
        FROM displays d
        WHERE d.building_id = v_admin.building_id AND d.revoked_at IS NULL), '[]'::jsonb));
END
$$;

-- Admin: revoke a display. Its token opens nothing from now on; the relay closes its sockets
-- at its next check. Revoking it again changes nothing.
CREATE OR REPLACE FUNCTION parkshare.revoke_display(p_display uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_display displays;
BEGIN
    SELECT * INTO v_display FROM displays
    WHERE building_id = v_admin.building_id AND id = p_display
    FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ps_raise('display_not_found', 'no such display in this building');
    END IF;
    IF v_display.revoked_at IS NULL THEN
        UPDATE displays SET revoked_at = now()
        WHERE building_id = v_display.building_id AND id = v_display.id;
        PERFORM ps_audit('admin.display_revoked', v_display.id,
                         jsonb_build_object('name', v_display.name));
    END IF;
END
$$;

-- The board at the token whose SHA-256 is `p_token_hash`: the building's name and time zone,
-- and each spot's label, location, state now and next change, as residents' garage view says
-- them (spot_views_v2, read under the display's building context: the one definition of a
-- spot's state). Nothing names or identifies a person: no owner, no parker, no spot id.
CREATE OR REPLACE FUNCTION parkshare.board_view(p_token_hash bytea)
RETURNS json
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_display displays := ps_display_seen(p_token_hash);
    v_building buildings;
    v_spots json;
BEGIN
    SELECT * INTO STRICT v_building FROM buildings WHERE id = v_display.building_id;
    -- The garage as a resident of the building sees it, for this transaction's read only.
    PERFORM set_config('parkshare.building_id', v_display.building_id::text, true);
    SELECT coalesce(json_agg(json_build_object(
               'label', v->>'label', 'location', v->>'location',
               'status_now', v->>'status_now', 'next_change_at', v->>'next_change_at')
               ORDER BY v->>'location' NULLS LAST, upper(v->>'label'), v->>'label'),
           '[]'::json)
    INTO v_spots
    FROM spot_views_v2(now(), now()) v;
    PERFORM set_config('parkshare.building_id', '', true);
    RETURN json_build_object(
        'building', json_build_object('name', v_building.name, 'timezone', v_building.timezone),
        'spots', v_spots);
END
$$;

-- The relay, as a display's socket opens: which display and building the token is for.
CREATE OR REPLACE FUNCTION parkshare.display_open(p_token_hash bytea)
RETURNS TABLE (display_id uuid, building_id uuid)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_display displays := ps_display_seen(p_token_hash);
BEGIN
    display_id := v_display.id;
    building_id := v_display.building_id;
    RETURN NEXT;
END
$$;

-- The relay, every few seconds, for the displays it has sockets of: those still active (a
-- socket of any other is closed), their last sight moved forward at most once a minute. One
-- statement per relay process, however many screens it serves.
CREATE OR REPLACE FUNCTION parkshare.displays_live(p_displays uuid[])
RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    PERFORM ps_system();
    UPDATE displays SET last_seen_at = now()
    WHERE id = ANY (p_displays) AND revoked_at IS NULL
      AND (last_seen_at IS NULL OR last_seen_at < now() - interval '1 minute');
    RETURN QUERY
        SELECT d.id FROM displays d WHERE d.id = ANY (p_displays) AND d.revoked_at IS NULL;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.create_display(text, bytea),
    parkshare.admin_displays(),
    parkshare.revoke_display(uuid),
    parkshare.board_view(bytea),
    parkshare.display_open(bytea),
    parkshare.displays_live(uuid[])
TO parkshare_app;
