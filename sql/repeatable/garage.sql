-- The reads of the screens: the garage as residents see it, and a resident's own page.

-- The garage over a window, one JSON object per spot (SpotView of the contract), free spots
-- first; json rather than jsonb, which the view builds a third faster and nobody indexes. Runs as the caller, so row-level security decides what it sees; every condition on
-- a table is a leakproof comparison of plain columns, so the policy and the condition are
-- one index range scan (sql/migrations/0004_window_bounds.sql).
--
-- It reads the bookings around the window only: those in progress now or overlapping the
-- window started after `since` minus the building's longest booking (0006) and before the
-- window's end, so they are one range of the building's index on start_at (a day's bookings,
-- not the year's). A spot's next change is the first start or end after now: among those
-- bookings if one is in progress or to come before the window ends (a spot's bookings never
-- overlap); otherwise the first booking after the window, looked up for that spot alone.
CREATE OR REPLACE FUNCTION parkshare.spot_views_v2(p_start timestamptz, p_end timestamptz,
                                                p_available_only boolean DEFAULT false)
RETURNS SETOF json
LANGUAGE sql STABLE
AS $$
    -- The bounds are computed here, not in the conditions: timestamptz - interval is not
    -- leakproof, and a condition with it would not be an index condition under the policy.
    WITH w AS (
        SELECT now() AS at, least(p_start, now()) AS since, greatest(p_end, now()) AS until,
               least(p_start, now()) - b.longest_booking AS earliest_start
        FROM parkshare.buildings b WHERE b.id = parkshare.ps_building()),
    near AS (
        SELECT r.spot_id, r.start_at, r.end_at, r.user_id, r.status
        FROM parkshare.reservations r, w
        WHERE r.status IN ('booked', 'settled')
          AND r.start_at > w.earliest_start AND r.start_at <= w.until
          AND r.end_at > w.since),
    booked AS (
        SELECT n.spot_id,
            bool_or(n.start_at <= w.at AND n.end_at > w.at) AS reserved_now,
            bool_or(n.start_at < p_end AND n.end_at > p_start) AS in_window,
            min(CASE WHEN n.start_at > w.at THEN n.start_at ELSE n.end_at END)
                FILTER (WHERE n.status = 'booked' AND n.end_at > w.at) AS next_change
        FROM near n, w
        GROUP BY n.spot_id),
    listed AS (
        SELECT n.spot_id,
            json_agg(json_build_object(
                    'start', parkshare.ps_iso(n.start_at), 'end', parkshare.ps_iso(n.end_at),
                    'mine', n.user_id = parkshare.ps_user()) ORDER BY n.start_at) AS reservations
        FROM near n
        WHERE n.start_at < p_end AND n.end_at > p_start
        GROUP BY n.spot_id),
    offered AS (
        SELECT a.spot_id,
            bool_or(a.start_at <= w.at AND a.end_at > w.at) AS open_now,
            bool_or(a.start_at <= p_start AND a.end_at >= p_end) AS covers_window,
            min(CASE WHEN a.start_at > w.at THEN a.start_at ELSE a.end_at END)
                FILTER (WHERE a.end_at > w.at) AS next_change,
            json_agg(json_build_object(
                    'start', parkshare.ps_iso(a.start_at), 'end', parkshare.ps_iso(a.end_at))
                    ORDER BY a.start_at)
                FILTER (WHERE a.start_at < p_end AND a.end_at > p_start) AS listed
        FROM parkshare.availability a, w
        WHERE a.end_at > w.since
        GROUP BY a.spot_id),
    v AS (
        SELECT s.id, s.label, s.location, s.notes, s.owner_id, u.display_name AS owner_name,
            coalesce(o.covers_window, false) AND NOT coalesce(b.in_window, false)
                AS free_for_window,
            CASE WHEN coalesce(b.reserved_now, false) THEN 'reserved'
                 WHEN coalesce(o.open_now, false) THEN 'free'
                 ELSE 'unavailable' END AS status_now,
            least(o.next_change, coalesce(b.next_change, (
                SELECT r.start_at FROM parkshare.reservations r
                WHERE r.spot_id = s.id AND r.status = 'booked'
                  AND r.start_at > greatest(p_end, now())
                ORDER BY r.start_at LIMIT 1)))
                AS next_change_at,
            coalesce(o.listed, '[]'::json) AS availability,
            coalesce(l.reservations, '[]'::json) AS reservations
        FROM parkshare.spots s
        JOIN parkshare.users u ON u.id = s.owner_id
        LEFT JOIN booked b ON b.spot_id = s.id
        LEFT JOIN listed l ON l.spot_id = s.id
        LEFT JOIN offered o ON o.spot_id = s.id
    )
    SELECT json_build_object(
        'id', v.id, 'label', v.label, 'location', v.location, 'notes', v.notes,
        'owner', json_build_object('id', v.owner_id, 'display_name', v.owner_name),
        'status_now', v.status_now,
        'free_for_window', v.free_for_window,
        'next_change_at', parkshare.ps_iso(v.next_change_at),
        'availability', v.availability,
        'reservations', v.reservations)
    FROM v
    WHERE NOT p_available_only OR v.free_for_window
    ORDER BY v.free_for_window DESC, v.status_now = 'free' DESC, upper(v.label)
$$;

-- The previous release's spot_views, for its revisions that still serve during a rollout:
-- the same rows as jsonb. Dropped in the next release.
CREATE OR REPLACE FUNCTION parkshare.spot_views(p_start timestamptz, p_end timestamptz,
                                                p_available_only boolean DEFAULT false)
RETURNS SETOF jsonb
LANGUAGE sql STABLE
AS $$ SELECT v::jsonb FROM parkshare.spot_views_v2(p_start, p_end, p_available_only) v $$;

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
    SELECT * INTO STRICT v_account FROM accounts
    WHERE building_id = v_user.building_id AND user_id = v_user.id AND kind = 'user';
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
                SELECT jsonb_agg(ps_reservation_json(r) ORDER BY r.start_at)
                FROM reservations r
                WHERE r.user_id = v_user.id AND r.status = 'booked'
                  AND r.end_at > now()), '[]'::jsonb),
            'past', coalesce((
                SELECT jsonb_agg(j ORDER BY (j->>'start') DESC) FROM (
                    SELECT ps_reservation_json(r) AS j
                    FROM reservations r
                    WHERE r.user_id = v_user.id
                      AND NOT (r.status = 'booked' AND r.end_at > now())
                    ORDER BY r.start_at DESC
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
    parkshare.spot_views_v2(timestamp with time zone, timestamp with time zone, boolean),
    parkshare.spot_views(timestamp with time zone, timestamp with time zone, boolean),
    parkshare.me_view(integer, integer)
TO parkshare_app;
