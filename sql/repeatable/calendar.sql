-- Calendar feeds: a resident's secret feed URL (its token is made and hashed by the server,
-- shared/parkshare/calendar/tokens.py; only the hash is stored) and what a calendar client
-- reads at it: the resident's bookings as parker and their spots' bookings as owner.

-- How many times a reservation has changed since it was made. Rules 8-9 allow one change,
-- stamped (booked -> cancelled, settled or no_show), and nothing after it
-- (tg_reservations_transition), so the stamps count them: a feed's SEQUENCE, which calendar
-- clients need to rise for an update (a cancellation) to replace what they hold.
CREATE OR REPLACE FUNCTION parkshare.ps_reservation_revision(r parkshare.reservations)
RETURNS integer
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (r.cancelled_at IS NOT NULL)::integer + (r.settled_at IS NOT NULL)::integer
         + (r.no_show_at IS NOT NULL)::integer
$$;

-- When a reservation last changed (its LAST-MODIFIED): the latest of its stamps.
CREATE OR REPLACE FUNCTION parkshare.ps_reservation_changed_at(r parkshare.reservations)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE
AS $$
    SELECT greatest(r.created_at, r.cancelled_at, r.settled_at, r.no_show_at)
$$;

-- The generation the caller's feed URL is to carry: the stored one, or (`p_rotate`, or no
-- feed yet) the next. The row stays locked to the end of the transaction, so a rotation and
-- the set_calendar() that follows it with the new hash are one step for concurrent callers.
CREATE OR REPLACE FUNCTION parkshare.calendar_generation(p_rotate boolean)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_generation integer;
BEGIN
    SELECT generation INTO v_generation FROM calendar_feeds
    WHERE building_id = v_actor.building_id AND user_id = v_actor.id
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 1;
    END IF;
    RETURN v_generation + CASE WHEN p_rotate THEN 1 ELSE 0 END;
END
$$;

-- Stores the hash of the caller's feed token of `p_generation`. A generation never goes
-- back (an older token must not come back to life); the same generation with another hash
-- is the server's key having changed, which already ended every old token.
CREATE OR REPLACE FUNCTION parkshare.set_calendar(p_generation integer, p_token_hash bytea)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_generation integer;
BEGIN
    INSERT INTO calendar_feeds AS f (building_id, user_id, generation, token_hash)
    VALUES (v_actor.building_id, v_actor.id, p_generation, p_token_hash)
    ON CONFLICT (building_id, user_id) DO UPDATE
        SET generation = EXCLUDED.generation, token_hash = EXCLUDED.token_hash,
            created_at = now()
        WHERE f.generation < EXCLUDED.generation
           OR (f.generation = EXCLUDED.generation AND f.token_hash <> EXCLUDED.token_hash);
    SELECT generation INTO STRICT v_generation FROM calendar_feeds
    WHERE building_id = v_actor.building_id AND user_id = v_actor.id;
    IF v_generation <> p_generation THEN
        PERFORM ps_raise('invalid_request',
                         format('the feed is at generation %s, not %s', v_generation, p_generation));
    END IF;
END
$$;

-- The feed at the token whose SHA-256 is `p_token_hash`, whoever asks (a calendar client
-- sends no credentials: the URL is the secret), so it looks across buildings. Its resident
-- (while enabled) and building name, and their bookings ending from 30 days ago on: as
-- parker, and of their spots as owner. An owner's events say nothing of who parks.
CREATE OR REPLACE FUNCTION parkshare.calendar_feed(p_token_hash bytea)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_feed calendar_feeds;
    v_name text;
    v_longest interval;
    v_since timestamptz := now() - interval '30 days';
BEGIN
    SELECT f.* INTO v_feed
    FROM calendar_feeds f JOIN users u ON u.building_id = f.building_id AND u.id = f.user_id
    WHERE f.token_hash = p_token_hash AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        PERFORM ps_raise('calendar_not_found', 'no calendar at this address');
    END IF;
    SELECT name, longest_booking INTO STRICT v_name, v_longest
    FROM buildings WHERE id = v_feed.building_id;
    RETURN jsonb_build_object(
        'name', v_name,
        'events', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                    'id', e.id, 'role', e.role, 'spot_label', s.label,
                    'location', s.location, 'start', ps_iso(e.start_at),
                    'end', ps_iso(e.end_at), 'status', e.status,
                    'revision', e.revision, 'changed_at', ps_iso(e.changed_at))
                ORDER BY e.start_at, e.id)
            FROM (-- As parker: no booking is longer than the building's longest, so its
                  -- start bounds the scan of reservations_user_idx.
                  SELECT r.id, r.spot_id, r.start_at, r.end_at, r.status, 'parker' AS role,
                         ps_reservation_revision(r) AS revision,
                         ps_reservation_changed_at(r) AS changed_at
                  FROM reservations r
                  WHERE r.building_id = v_feed.building_id AND r.user_id = v_feed.user_id
                    AND r.start_at > v_since - v_longest AND r.end_at > v_since
                  UNION ALL
                  SELECT r.id, r.spot_id, r.start_at, r.end_at, r.status, 'owner',
                         ps_reservation_revision(r), ps_reservation_changed_at(r)
                  FROM reservations r
                  WHERE r.building_id = v_feed.building_id AND r.owner_id = v_feed.user_id
                    AND r.end_at > v_since) e
            JOIN spots s ON s.building_id = v_feed.building_id AND s.id = e.spot_id),
            '[]'::jsonb));
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.calendar_generation(boolean),
    parkshare.set_calendar(integer, bytea),
    parkshare.calendar_feed(bytea)
TO parkshare_app;
