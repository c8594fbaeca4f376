-- The reads of the screens: the garage as residents see it, and a resident's own page.

-- The garage over a window, one JSON object per spot (SpotView of the contract), free spots
-- first. Runs as the caller, so row-level security decides what it sees.
CREATE OR REPLACE FUNCTION parkshare.spot_views(p_start timestamptz, p_end timestamptz,
                                                p_available_only boolean DEFAULT false)
RETURNS SETOF jsonb
LANGUAGE sql STABLE
AS $$
    WITH w AS (SELECT tstzrange(p_start, p_end, '[)') AS win, now() AS at),
    v AS (
        SELECT s.*, u.display_name AS owner_name,
            EXISTS (SELECT 1 FROM parkshare.availability a
                    WHERE a.spot_id = s.id AND a.period @> w.win)
            AND NOT EXISTS (SELECT 1 FROM parkshare.reservations r
                            WHERE r.spot_id = s.id AND r.status IN ('booked', 'settled')
                              AND r.period && w.win) AS free_for_window,
            CASE
                WHEN EXISTS (SELECT 1 FROM parkshare.reservations r
                             WHERE r.spot_id = s.id AND r.status IN ('booked', 'settled')
                               AND r.period @> w.at) THEN 'reserved'
                WHEN EXISTS (SELECT 1 FROM parkshare.availability a
                             WHERE a.spot_id = s.id AND a.period @> w.at) THEN 'free'
                ELSE 'unavailable'
            END AS status_now,
            (SELECT min(t) FROM (
                SELECT unnest(ARRAY[lower(a.period), upper(a.period)]) AS t
                FROM parkshare.availability a
                WHERE a.spot_id = s.id AND upper(a.period) > w.at
                UNION ALL
                SELECT unnest(ARRAY[lower(r.period), upper(r.period)])
                FROM parkshare.reservations r
                WHERE r.spot_id = s.id AND r.status = 'booked' AND upper(r.period) > w.at
            ) b WHERE t > w.at) AS next_change_at
        FROM parkshare.spots s
        JOIN parkshare.users u ON u.id = s.owner_id
        CROSS JOIN w
    )
    SELECT jsonb_build_object(
        'id', v.id, 'label', v.label, 'location', v.location, 'notes', v.notes,
        'owner', jsonb_build_object('id', v.owner_id, 'display_name', v.owner_name),
        'status_now', v.status_now,
        'free_for_window', v.free_for_window,
        'next_change_at', parkshare.ps_iso(v.next_change_at),
        'availability', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'start', parkshare.ps_iso(lower(a.period)),
                       'end', parkshare.ps_iso(upper(a.period))) ORDER BY lower(a.period))
            FROM parkshare.availability a, w
            WHERE a.spot_id = v.id AND a.period && w.win), '[]'::jsonb),
        'reservations', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'start', parkshare.ps_iso(lower(r.period)),
                       'end', parkshare.ps_iso(upper(r.period)),
                       'mine', r.user_id = parkshare.ps_user()) ORDER BY lower(r.period))
            FROM parkshare.reservations r, w
            WHERE r.spot_id = v.id AND r.status IN ('booked', 'settled')
              AND r.period && w.win), '[]'::jsonb))
    FROM v
    WHERE NOT p_available_only OR v.free_for_window
    ORDER BY v.free_for_window DESC, v.status_now = 'free' DESC, upper(v.label)
$$;

-- The signed-in resident's page: who, their building (name, time zone, policy: what the app
-- needs to show local times and a booking's cost before confirming), credits, their spots,
-- their reservations, their ledger.
CREATE OR REPLACE FUNCTION parkshare.me_view(p_past_limit integer DEFAULT 50,
                                             p_ledger_limit integer DEFAULT 100)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users := ps_actor();
    v_account accounts;
    v_building buildings;
BEGIN
    SELECT * INTO STRICT v_account FROM accounts WHERE user_id = v_user.id AND kind = 'user';
    SELECT * INTO STRICT v_building FROM buildings WHERE id = v_user.building_id;
    RETURN jsonb_build_object(
        'user', jsonb_build_object(
            'id', v_user.id,
            'email', coalesce(v_user.email, (SELECT i.email FROM user_identities i
                                             WHERE i.user_id = v_user.id
                                             ORDER BY i.last_login_at DESC LIMIT 1)),
            'display_name', v_user.display_name, 'role', v_user.role,
            'building_id', v_user.building_id,
            'sign_in', CASE WHEN v_user.password_hash IS NULL THEN 'sso' ELSE 'password' END),
        'building', jsonb_build_object('id', v_building.id, 'name', v_building.name,
                                       'timezone', v_building.timezone,
                                       'policy', ps_policy_json(v_building)),
        'credits', v_account.balance,
        'spots', coalesce((SELECT jsonb_agg(ps_spot_json(s) ORDER BY upper(s.label))
                           FROM spots s WHERE s.owner_id = v_user.id), '[]'::jsonb),
        'reservations', jsonb_build_object(
            'upcoming', coalesce((
                SELECT jsonb_agg(ps_reservation_json(r) ORDER BY lower(r.period))
                FROM reservations r
                WHERE r.user_id = v_user.id AND r.status = 'booked'
                  AND upper(r.period) > now()), '[]'::jsonb),
            'past', coalesce((
                SELECT jsonb_agg(j ORDER BY (j->>'start') DESC) FROM (
                    SELECT ps_reservation_json(r) AS j
                    FROM reservations r
                    WHERE r.user_id = v_user.id
                      AND NOT (r.status = 'booked' AND upper(r.period) > now())
                    ORDER BY lower(r.period) DESC
                    LIMIT p_past_limit) p), '[]'::jsonb)),
        'ledger', coalesce((
            SELECT jsonb_agg(e ORDER BY (e->>'id')::bigint DESC) FROM (
                SELECT jsonb_build_object(
                    'id', l.id, 'at', ps_iso(l.created_at), 'kind', l.kind,
                    'amount', CASE WHEN l.to_account = v_account.id THEN l.amount
                                   ELSE -l.amount END,
                    'reason', l.reason, 'reservation_id', l.reservation_id) AS e
                FROM ledger_entries l
                WHERE v_account.id IN (l.from_account, l.to_account)
                ORDER BY l.id DESC
                LIMIT p_ledger_limit) x), '[]'::jsonb));
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.spot_views(timestamp with time zone, timestamp with time zone, boolean),
    parkshare.me_view(integer, integer)
TO parkshare_app;
