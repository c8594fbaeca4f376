-- Requests: "any spot, for this window". Booked at once when a spot is free for all of it,
-- else waiting until a window opens that can serve it. Every booking goes through ps_book
-- (reservations.sql), so a matched request obeys every rule `reserve` does: the exclusion
-- constraints, not this file, decide that nobody is double-booked.

CREATE OR REPLACE FUNCTION parkshare.ps_request_json(q parkshare.requests) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object(
        'id', q.id, 'start', parkshare.ps_iso(q.start_at), 'end', parkshare.ps_iso(q.end_at),
        'status', q.status, 'reservation_id', q.reservation_id,
        'created_at', parkshare.ps_iso(q.created_at))
$$;

-- At most 5 waiting requests per resident. The resident's row is locked first, so two of
-- their requests made at once are counted one after the other.
CREATE OR REPLACE FUNCTION parkshare.tg_requests_limit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    PERFORM 1 FROM users WHERE building_id = NEW.building_id AND id = NEW.user_id
    FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM requests
        WHERE building_id = NEW.building_id AND user_id = NEW.user_id AND status = 'waiting'
          AND id <> NEW.id) >= 5 THEN
        PERFORM ps_raise('too_many_requests', 'a resident holds at most 5 waiting requests');
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS requests_limit ON parkshare.requests;
CREATE TRIGGER requests_limit BEFORE INSERT ON parkshare.requests
    FOR EACH ROW WHEN (NEW.status = 'waiting') EXECUTE FUNCTION parkshare.tg_requests_limit();

-- A request only leaves `waiting`, once, stamped; nothing else about it changes.
CREATE OR REPLACE FUNCTION parkshare.tg_requests_transition() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF (NEW.id, NEW.building_id, NEW.user_id, NEW.period, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.building_id, OLD.user_id, OLD.period, OLD.created_at)
       OR OLD.status <> 'waiting'
    THEN
        PERFORM parkshare.ps_raise('request_closed', 'the request is no longer waiting');
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS requests_transition ON parkshare.requests;
CREATE TRIGGER requests_transition BEFORE UPDATE ON parkshare.requests
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_requests_transition();

-- How many of a resident's requests were matched in the 28 days before now: fewer comes
-- first when a window opens (SPEC "When demand exceeds supply").
CREATE OR REPLACE FUNCTION parkshare.ps_recently_served(p_building uuid, p_user uuid)
RETURNS bigint
LANGUAGE sql STABLE SET search_path = parkshare, pg_temp
AS $$
    SELECT count(*) FROM parkshare.requests
    WHERE building_id = p_building AND user_id = p_user AND status = 'matched'
      AND closed_at > now() - interval '28 days'
$$;

-- Book `p_req` (locked, waiting) on `p_spot_id`, or answer null when a rule refuses it: the
-- spot taken meanwhile, the parker's credits gone, an overlapping booking of theirs. The
-- refusal is the rule's own (the savepoint of the BEGIN block undoes what it began).
CREATE OR REPLACE FUNCTION parkshare.ps_try_match(p_req parkshare.requests, p_spot_id uuid,
                                                  p_parker_kind text)
RETURNS parkshare.reservations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user users;
    v_res reservations;
BEGIN
    SELECT * INTO STRICT v_user FROM users
    WHERE building_id = p_req.building_id AND id = p_req.user_id;
    BEGIN
        v_res := ps_book(v_user, p_spot_id, p_req.start_at, p_req.end_at, p_parker_kind);
    EXCEPTION
        -- The contract's refusals (class PS: spot_unavailable, invalid_window, ...) and the
        -- constraints' (class 23: a rival booking, a balance below zero).
        WHEN SQLSTATE 'PS000' OR integrity_constraint_violation THEN
            RETURN NULL;
    END;
    RETURN v_res;
END
$$;

-- The free spots for [p_start, p_end) in the building, the one to try first first: the spot
-- whose free stretch around the window is shortest (best fit), so the long free stretches
-- stay whole for long requests; then by label. `p_user`'s own spots are not theirs to book.
CREATE OR REPLACE FUNCTION parkshare.ps_free_spots(p_building uuid, p_user uuid,
                                                   p_start timestamptz, p_end timestamptz,
                                                   p_limit integer)
RETURNS TABLE (spot_id uuid, slack interval)
LANGUAGE sql STABLE SET search_path = parkshare, pg_temp
AS $$
    SELECT s.id,
           least(a.end_at, (SELECT min(r.start_at) FROM parkshare.reservations r
                            WHERE r.spot_id = s.id AND r.status IN ('booked', 'settled')
                              AND r.start_at >= p_end))
         - greatest(a.start_at, (SELECT max(r.end_at) FROM parkshare.reservations r
                                 WHERE r.spot_id = s.id AND r.status IN ('booked', 'settled')
                                   AND r.end_at <= p_start AND r.end_at >= a.start_at))
         - (p_end - p_start) AS slack
    FROM parkshare.availability a
    JOIN parkshare.spots s ON s.building_id = a.building_id AND s.id = a.spot_id
    WHERE a.building_id = p_building AND a.start_at <= p_start AND a.end_at >= p_end
      AND s.owner_id <> p_user
      AND NOT EXISTS (SELECT 1 FROM parkshare.reservations r
                      WHERE r.spot_id = s.id AND r.status IN ('booked', 'settled')
                        AND r.start_at < p_end AND r.end_at > p_start)
    ORDER BY slack, s.label, s.id
    LIMIT p_limit
$$;

-- POST /fn/request: the request, matched at once (with its booking) or waiting. What could
-- never be booked is refused now, as `reserve` would refuse it: the window against the
-- policy, the credits, an overlapping booking or waiting request of the caller's.
CREATE OR REPLACE FUNCTION parkshare.make_request(p_start timestamptz, p_end timestamptz)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_building buildings;
    v_period tstzrange;
    v_req requests;
    v_spot uuid;
    v_res reservations;
BEGIN
    IF p_start IS NULL OR p_end IS NULL OR p_end <= p_start THEN
        PERFORM ps_raise('invalid_window', 'the window must end after it starts');
    END IF;
    v_period := tstzrange(p_start, p_end, '[)');
    SELECT * INTO STRICT v_building FROM buildings WHERE id = v_actor.building_id;
    PERFORM ps_check_window(v_building, v_period);
    IF EXISTS (SELECT 1 FROM reservations
               WHERE user_id = v_actor.id AND status = 'booked'
                 AND start_at < p_end AND end_at > p_start) THEN
        PERFORM ps_raise('overlapping_reservation', 'you already hold a reservation then');
    END IF;
    IF (SELECT balance FROM accounts WHERE id = ps_account(v_actor.building_id, 'user', v_actor.id))
       < v_building.cost THEN
        PERFORM ps_raise('insufficient_credits', format('a booking costs %s credits',
                                                        v_building.cost));
    END IF;
    -- Made waiting, then matched if it can be: the limit and the overlap with the caller's
    -- other waiting requests are checked on the way in (a request matched at once never
    -- counts against the five, which the insert below would check: so try first).
    FOR v_spot IN SELECT f.spot_id FROM ps_free_spots(v_actor.building_id, v_actor.id,
                                                      p_start, p_end, 20) f
    LOOP
        BEGIN
            v_res := ps_book(v_actor, v_spot, p_start, p_end);
        EXCEPTION WHEN SQLSTATE 'PS000' OR integrity_constraint_violation THEN
            -- Taken by a concurrent booking since it was found free: the next one.
            CONTINUE;
        END;
        INSERT INTO requests (building_id, user_id, period, status, reservation_id, closed_at)
        VALUES (v_actor.building_id, v_actor.id, v_period, 'matched', v_res.id, now())
        RETURNING * INTO v_req;
        PERFORM ps_emit(v_req.building_id, 'request.matched',
                        jsonb_build_object('request', ps_request_json(v_req),
                                           'reservation', ps_reservation_json(v_res)),
                        v_req.user_id);
        RETURN ps_request_json(v_req);
    END LOOP;
    INSERT INTO requests (building_id, user_id, period)
    VALUES (v_actor.building_id, v_actor.id, v_period)
    RETURNING * INTO v_req;
    RETURN ps_request_json(v_req);
END
$$;

-- A window of `p_spot_id` opened ([p_start, p_end) offered, or a booking of it cancelled):
-- the waiting requests it can serve, in the fairness order, each booked if every rule lets
-- it. One matcher per building at a time (a transaction-scoped advisory lock), so two
-- windows opening at once serve the queue in order instead of racing for its head; the
-- statements after the lock see what the previous holder committed. The exclusion
-- constraints would still refuse a double booking without it.
CREATE OR REPLACE FUNCTION parkshare.ps_match_window(p_building uuid, p_spot_id uuid,
                                                     p_start timestamptz, p_end timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_req requests;
    v_res reservations;
    v_count integer := 0;
BEGIN
    -- Nobody waiting for this stretch: nothing to lock (the common case of every offer and
    -- cancellation, one index probe).
    IF NOT EXISTS (SELECT 1 FROM requests
                   WHERE building_id = p_building AND status = 'waiting'
                     AND start_at < p_end AND end_at > p_start AND start_at > now()) THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('parkshare.requests ' || p_building, 0));
    FOR v_req IN
        SELECT q.* FROM requests q
        JOIN users u ON u.building_id = q.building_id AND u.id = q.user_id
        WHERE q.building_id = p_building AND q.status = 'waiting'
          AND q.start_at < p_end AND q.end_at > p_start AND q.start_at > now()
          AND u.disabled_at IS NULL
          -- Only what the spot is offered for and nobody holds.
          AND EXISTS (SELECT 1 FROM availability a
                      WHERE a.spot_id = p_spot_id AND a.start_at <= q.start_at
                        AND a.end_at >= q.end_at)
        ORDER BY ps_recently_served(q.building_id, q.user_id), q.created_at, q.id
    LOOP
        -- Withdrawn, or matched by another window, since the list was read: skip it.
        SELECT * INTO v_req FROM requests
        WHERE building_id = p_building AND id = v_req.id AND status = 'waiting'
        FOR UPDATE;
        CONTINUE WHEN NOT FOUND;
        v_res := ps_try_match(v_req, p_spot_id, 'request.matched');
        CONTINUE WHEN v_res IS NULL;
        UPDATE requests SET status = 'matched', reservation_id = v_res.id, closed_at = now()
        WHERE building_id = p_building AND id = v_req.id
        RETURNING * INTO v_req;
        PERFORM ps_emit(p_building, 'request.matched',
                        jsonb_build_object('request', ps_request_json(v_req),
                                           'reservation', ps_reservation_json(v_res)),
                        v_req.user_id);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

-- GET /fn/request: the caller's requests, the waiting ones first, then the latest. A waiting
-- one says how many others' waiting requests for an overlapping window the matching order
-- puts first now (a window that could serve both would go to them): a position in the queue
-- for that time, which changes as others are served, withdraw or ask.
CREATE OR REPLACE FUNCTION parkshare.my_requests()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT jsonb_build_object('requests', coalesce(jsonb_agg(
               CASE WHEN (q.req).status = 'waiting'
                    THEN parkshare.ps_request_json(q.req) || jsonb_build_object('ahead', (
                        SELECT count(*) FROM parkshare.requests o
                        JOIN parkshare.users u ON u.building_id = o.building_id
                                               AND u.id = o.user_id
                        WHERE o.building_id = (q.req).building_id AND o.status = 'waiting'
                          AND o.user_id <> (q.req).user_id AND u.disabled_at IS NULL
                          AND o.start_at < (q.req).end_at AND o.end_at > (q.req).start_at
                          AND o.start_at > now()
                          AND (parkshare.ps_recently_served(o.building_id, o.user_id),
                               o.created_at, o.id)
                              < (q.served, (q.req).created_at, (q.req).id)))
                    ELSE parkshare.ps_request_json(q.req) END
               ORDER BY (q.req).status <> 'waiting', (q.req).start_at DESC, (q.req).id),
               '[]'::jsonb))
    FROM (SELECT r AS req, parkshare.ps_recently_served(r.building_id, r.user_id) AS served
          FROM parkshare.requests r
          WHERE r.building_id = parkshare.ps_building() AND r.user_id = parkshare.ps_user()
          ORDER BY r.status <> 'waiting', r.start_at DESC
          LIMIT 100) q
$$;

-- POST /fn/request/withdraw. Another resident's request is not found; one that no longer
-- waits is closed (withdrawing twice is too).
CREATE OR REPLACE FUNCTION parkshare.withdraw_request(p_request_id uuid)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_req requests;
BEGIN
    SELECT * INTO v_req FROM requests
    WHERE building_id = v_actor.building_id AND id = p_request_id AND user_id = v_actor.id
    FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ps_raise('request_not_found', 'no such request of yours');
    END IF;
    IF v_req.status <> 'waiting' THEN
        PERFORM ps_raise('request_closed', format('the request is %s', v_req.status));
    END IF;
    UPDATE requests SET status = 'withdrawn', closed_at = now()
    WHERE building_id = v_req.building_id AND id = v_req.id
    RETURNING * INTO v_req;
    RETURN ps_request_json(v_req);
END
$$;

-- System (the worker): a request still waiting when its window starts expires. Idempotent:
-- what expired is no longer waiting.
CREATE OR REPLACE FUNCTION parkshare.expire_requests()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    PERFORM ps_system();
    UPDATE requests SET status = 'expired', closed_at = now()
    WHERE status = 'waiting' AND start_at <= now();
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.make_request(timestamp with time zone, timestamp with time zone),
    parkshare.my_requests(),
    parkshare.withdraw_request(uuid),
    parkshare.expire_requests()
TO parkshare_app;
