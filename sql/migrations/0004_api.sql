-- What the functions read and call beyond the write procedures of 0003: the idempotent
-- booking, the garage as residents see it, and a resident's own page.

GRANT EXECUTE ON FUNCTION parkshare.ps_reservation_json(parkshare.reservations),
    parkshare.ps_spot_json(parkshare.spots) TO parkshare_app;

-- A repeated reserve with the same key from the same user answers what the first answered.
-- Only successful bookings are kept: a refused one committed nothing and may be retried.
CREATE TABLE parkshare.idempotency_keys (
    building_id  uuid NOT NULL,
    user_id      uuid NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash text NOT NULL,
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key),
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id)
);
CREATE INDEX idempotency_keys_created_idx ON parkshare.idempotency_keys (created_at);
ALTER TABLE parkshare.idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE parkshare.idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON parkshare.idempotency_keys
    USING (building_id = (SELECT parkshare.ps_building()))
    WITH CHECK (building_id = (SELECT parkshare.ps_building()));
CREATE POLICY system ON parkshare.idempotency_keys TO parkshare_owner
    USING ((SELECT parkshare.ps_building()) IS NULL)
    WITH CHECK ((SELECT parkshare.ps_building()) IS NULL);

-- The booking as the reserve function answers it. With a key, the key is claimed first: a
-- concurrent request with the same key waits on that claim and then answers the stored
-- response instead of booking again.
CREATE FUNCTION parkshare.reserve_request(p_spot_id uuid, p_start timestamptz,
                                          p_end timestamptz, p_key text DEFAULT NULL,
                                          p_request_hash text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_stored idempotency_keys;
    v_answer jsonb;
BEGIN
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (building_id, user_id, key, request_hash, response)
        VALUES (v_actor.building_id, v_actor.id, p_key, p_request_hash, 'null')
        ON CONFLICT (user_id, key) DO NOTHING;
        IF NOT FOUND THEN
            SELECT * INTO STRICT v_stored FROM idempotency_keys
            WHERE user_id = v_actor.id AND key = p_key;
            IF v_stored.request_hash IS DISTINCT FROM p_request_hash THEN
                PERFORM ps_raise('idempotency_mismatch',
                                 'this Idempotency-Key was used for another request');
            END IF;
            RETURN v_stored.response;
        END IF;
    END IF;
    SELECT ps_reservation_json(r) INTO v_answer FROM reserve(p_spot_id, p_start, p_end) r;
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys SET response = v_answer
        WHERE user_id = v_actor.id AND key = p_key;
    END IF;
    RETURN v_answer;
END
$$;

-- The garage over a window, one JSON object per spot (SpotView of the contract), free spots
-- first. Runs as the caller, so row-level security decides what it sees.
CREATE FUNCTION parkshare.spot_views(p_start timestamptz, p_end timestamptz,
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

-- The signed-in resident's page: who, credits, their spots, their reservations, their ledger.
CREATE FUNCTION parkshare.me_view(p_past_limit integer DEFAULT 50,
                                  p_ledger_limit integer DEFAULT 100)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users := ps_actor();
    v_account accounts;
BEGIN
    SELECT * INTO STRICT v_account FROM accounts WHERE user_id = v_user.id AND kind = 'user';
    RETURN jsonb_build_object(
        'user', jsonb_build_object('id', v_user.id, 'email', v_user.email,
                                   'display_name', v_user.display_name, 'role', v_user.role,
                                   'building_id', v_user.building_id),
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
    parkshare.reserve_request(uuid, timestamptz, timestamptz, text, text),
    parkshare.spot_views(timestamptz, timestamptz, boolean),
    parkshare.me_view(integer, integer)
TO parkshare_app;
