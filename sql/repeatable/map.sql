-- The garage map: each level's plan (an image) and where each spot is drawn on it. The rules
-- on the data (size, the three image types, the magic bytes, positions in [0, 1]) are the
-- tables' constraints (migrations/0020_level_plans.sql); these procedures decide who may.

-- What an image is, from its first bytes alone: PNG, JPEG or WebP, else NULL (SVG, GIF and
-- anything else included). A client's content type or file name is never asked.
CREATE OR REPLACE FUNCTION parkshare.ps_image_type(p_image bytea) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN substring(p_image FROM 1 FOR 8) = '\x89504e470d0a1a0a'::bytea THEN 'image/png'
        WHEN substring(p_image FROM 1 FOR 3) = '\xffd8ff'::bytea THEN 'image/jpeg'
        WHEN substring(p_image FROM 1 FOR 4) = '\x52494646'::bytea
             AND substring(p_image FROM 9 FOR 4) = '\x57454250'::bytea THEN 'image/webp'
    END
$$;

CREATE OR REPLACE FUNCTION parkshare.ps_level_json(p parkshare.level_plans) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('level', p.level, 'media_type', p.media_type,
                              'updated_at', parkshare.ps_iso(p.updated_at),
                              'version', p.version)
$$;

CREATE OR REPLACE FUNCTION parkshare.ps_position_json(p parkshare.spot_positions) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('spot_id', p.spot_id, 'level', p.level, 'x', p.x, 'y', p.y)
$$;

-- PUT /fn/admin/plans/{level}: the level's plan, new or in place of the old one (the spots
-- placed on it stay where they are).
CREATE OR REPLACE FUNCTION parkshare.set_level_plan(p_level text, p_image bytea)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_type text;
    v_plan level_plans;
BEGIN
    IF octet_length(p_image) > 2097152 THEN
        PERFORM ps_raise('image_too_large', 'a plan is at most 2 MiB (2097152 bytes)');
    END IF;
    v_type := ps_image_type(p_image);
    IF v_type IS NULL THEN
        PERFORM ps_raise('invalid_image', 'a plan is a PNG, JPEG or WebP image');
    END IF;
    INSERT INTO level_plans (building_id, level, image, media_type)
    VALUES (v_admin.building_id, p_level, p_image, v_type)
    ON CONFLICT (building_id, level) DO UPDATE
        SET image = excluded.image, media_type = excluded.media_type, updated_at = now()
    RETURNING * INTO v_plan;
    PERFORM ps_audit('admin.level_plan_set', NULL,
                     jsonb_build_object('level', v_plan.level, 'media_type', v_plan.media_type,
                                        'bytes', octet_length(v_plan.image)));
    RETURN ps_level_json(v_plan);
END
$$;

-- DELETE /fn/admin/plans/{level}: the plan and the positions drawn on it.
CREATE OR REPLACE FUNCTION parkshare.remove_level_plan(p_level text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    DELETE FROM level_plans WHERE building_id = v_admin.building_id AND level = p_level;
    IF NOT FOUND THEN
        PERFORM ps_raise('level_not_found', 'no plan for this level');
    END IF;
    PERFORM ps_audit('admin.level_plan_removed', NULL, jsonb_build_object('level', p_level));
END
$$;

-- POST /fn/admin/plans/place: where a spot is drawn (moved if it was drawn elsewhere).
CREATE OR REPLACE FUNCTION parkshare.place_spot(p_spot_id uuid, p_level text, p_x numeric,
                                                p_y numeric)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_position spot_positions;
BEGIN
    PERFORM 1 FROM spots WHERE building_id = v_admin.building_id AND id = p_spot_id;
    IF NOT FOUND THEN
        PERFORM ps_raise('spot_not_found', 'no such spot in this building');
    END IF;
    PERFORM 1 FROM level_plans WHERE building_id = v_admin.building_id AND level = p_level;
    IF NOT FOUND THEN
        PERFORM ps_raise('level_not_found', 'no plan for this level');
    END IF;
    INSERT INTO spot_positions (building_id, spot_id, level, x, y)
    VALUES (v_admin.building_id, p_spot_id, p_level, p_x, p_y)
    ON CONFLICT (building_id, spot_id) DO UPDATE
        SET level = excluded.level, x = excluded.x, y = excluded.y
    RETURNING * INTO v_position;
    RETURN ps_position_json(v_position);
END
$$;

-- POST /fn/admin/plans/unplace: the spot is no longer drawn (it stays in the list).
CREATE OR REPLACE FUNCTION parkshare.unplace_spot(p_spot_id uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    PERFORM 1 FROM spots WHERE building_id = v_admin.building_id AND id = p_spot_id;
    IF NOT FOUND THEN
        PERFORM ps_raise('spot_not_found', 'no such spot in this building');
    END IF;
    DELETE FROM spot_positions WHERE building_id = v_admin.building_id AND spot_id = p_spot_id;
END
$$;

-- GET /fn/map: the building's levels with a plan (not the images) and every placed spot.
CREATE OR REPLACE FUNCTION parkshare.garage_map()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
BEGIN
    RETURN jsonb_build_object(
        'levels', (SELECT coalesce(jsonb_agg(ps_level_json(p) ORDER BY p.level), '[]')
                   FROM level_plans p WHERE p.building_id = v_actor.building_id),
        'positions', (SELECT coalesce(jsonb_agg(ps_position_json(s)
                                                ORDER BY s.level, s.y, s.x, s.spot_id), '[]')
                      FROM spot_positions s WHERE s.building_id = v_actor.building_id));
END
$$;

-- GET /fn/map/plan?level=: one level's image, for any resident of the building.
CREATE OR REPLACE FUNCTION parkshare.level_plan(p_level text)
RETURNS TABLE (media_type text, image bytea, version text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
BEGIN
    RETURN QUERY SELECT p.media_type, p.image, p.version FROM level_plans p
                 WHERE p.building_id = v_actor.building_id AND p.level = p_level;
    IF NOT FOUND THEN
        PERFORM ps_raise('level_not_found', 'no plan for this level');
    END IF;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.set_level_plan(text, bytea),
    parkshare.remove_level_plan(text),
    parkshare.place_spot(uuid, text, numeric, numeric),
    parkshare.unplace_spot(uuid),
    parkshare.garage_map(),
    parkshare.level_plan(text)
TO parkshare_app;
