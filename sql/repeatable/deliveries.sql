-- Deliveries (table in migrations/0016_deliveries.sql): the email of a notification, queued
-- by ps_notify in the notification's transaction, sent by the worker (parkshare.notify.mail).
--
--   pending --claim--> sending --the server's 250--> sent
--     |                    |-- refused for now --> pending (after a backoff)
--     |                    |-- refused for good, or past its 24 hours --> failed
--     |                    `-- its sender died (lock free) --> sending (taken over, +1 attempt)
--     |-- past its 24 hours, unsent --> failed
--     `-- no transport configured --> skipped
--
-- While a worker sends a delivery it holds a session advisory lock keyed by the delivery
-- (ps_delivery_lock_key): a `sending` row whose lock is free belongs to a worker that died,
-- and the next claim takes it over. The lock goes with the sender's database session, so
-- a worker killed mid-send frees it the moment PostgreSQL sees its connection close.

-- The advisory lock of a delivery while it is sent. 64 bits of hash: two deliveries that
-- shared a key would only wait for each other, never go out twice.
CREATE OR REPLACE FUNCTION parkshare.ps_delivery_lock_key(p_id uuid) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT hashtextextended('parkshare.delivery ' || p_id, 0) $$;

-- Whether this very session holds the delivery's lock. Session advisory locks are
-- reentrant: without this, a sender claiming again would take back what it is sending.
CREATE OR REPLACE FUNCTION parkshare.ps_delivery_held_here(p_id uuid) RETURNS boolean
LANGUAGE sql STABLE
AS $$
    -- A bigint key shows in pg_locks as its high and low 32 bits, objsubid 1.
    SELECT EXISTS (
        SELECT FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.objsubid = 1
          AND l.classid::bigint = (parkshare.ps_delivery_lock_key(p_id) >> 32) & 4294967295
          AND l.objid::bigint = parkshare.ps_delivery_lock_key(p_id) & 4294967295)
$$;

-- A delivery not sent within this long of its notification is given up: a message about a
-- booking that arrives a day late tells nothing the app has not shown already.
CREATE OR REPLACE FUNCTION parkshare.ps_delivery_give_up_after() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT interval '24 hours' $$;

-- The wait after the n-th failed attempt: 30 s, doubled each time, at most an hour.
CREATE OR REPLACE FUNCTION parkshare.ps_delivery_backoff(p_attempts integer) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT least(interval '30 seconds' * power(2, greatest(p_attempts, 1) - 1),
                 interval '1 hour')
$$;

-- The state machine above; what a delivery is for (its notification, channel, address,
-- building, birth) never changes. Rows are born pending and untried.
CREATE OR REPLACE FUNCTION parkshare.tg_deliveries_transition() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'pending' OR NEW.attempts <> 0 THEN
            PERFORM parkshare.ps_raise('immutable_record', 'a delivery starts pending, untried');
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.building_id, NEW.id, NEW.notification_id, NEW.channel, NEW.address, NEW.created_at)
       IS DISTINCT FROM
       (OLD.building_id, OLD.id, OLD.notification_id, OLD.channel, OLD.address, OLD.created_at)
    THEN
        PERFORM parkshare.ps_raise('immutable_record', 'only a delivery''s progress changes');
    END IF;
    IF NOT (
        (OLD.state IN ('pending', 'sending') AND NEW.state = 'sending'
         AND NEW.attempts = OLD.attempts + 1)
        OR (OLD.state = 'sending' AND NEW.state IN ('sent', 'pending', 'failed')
            AND NEW.attempts = OLD.attempts)
        OR (OLD.state = 'pending' AND NEW.state IN ('skipped', 'failed')
            AND NEW.attempts = OLD.attempts))
    THEN
        PERFORM parkshare.ps_raise('immutable_record', format(
            'a delivery does not go from %s to %s (attempts %s to %s)',
            OLD.state, NEW.state, OLD.attempts, NEW.attempts));
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS deliveries_transition ON parkshare.deliveries;
CREATE TRIGGER deliveries_transition BEFORE INSERT OR UPDATE ON parkshare.deliveries
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_deliveries_transition();

-- The email of a new notification, if its user keeps email on for its kind (their choice
-- over the defaults) and has an address (one who signs in through single sign-on may not).
CREATE OR REPLACE FUNCTION parkshare.ps_queue_deliveries(p_note parkshare.notifications)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    INSERT INTO deliveries (building_id, notification_id, channel, address)
    SELECT u.building_id, p_note.id, 'email', u.email
    FROM users u
    LEFT JOIN notification_preferences p ON p.building_id = u.building_id AND p.user_id = u.id
    WHERE u.building_id = p_note.building_id AND u.id = p_note.user_id
      AND u.email IS NOT NULL
      AND ((ps_email_defaults() || coalesce(p.email, '{}')) ->> p_note.kind)::boolean
    ON CONFLICT (building_id, notification_id, channel) DO NOTHING;
END
$$;

-- The worker: up to `p_limit` deliveries to send now, each marked sending (one attempt
-- more) and locked for this session until delivery_release; with what their message is
-- made of. Due pending ones, and sending ones whose sender died (their lock is free: a
-- live sender holds it); one past its 24 hours is failed instead. Several workers at once
-- take different rows (SKIP LOCKED, and the advisory lock for the reclaimed ones).
CREATE OR REPLACE FUNCTION parkshare.deliveries_claim(p_limit integer)
RETURNS TABLE (building_id uuid, id uuid, address text, attempts integer, locale text,
               building_name text, timezone text, kind text, title text, body text,
               data jsonb, at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_row deliveries;
    v_taken integer := 0;
BEGIN
    PERFORM ps_system();
    IF coalesce(p_limit, 0) < 1 THEN
        RETURN;
    END IF;
    -- A sending row's next_attempt_at is when its attempt began: the one condition (and
    -- index) finds both kinds.
    FOR v_row IN
        SELECT * FROM deliveries d
        WHERE d.state IN ('pending', 'sending') AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at
        FOR UPDATE SKIP LOCKED
    LOOP
        -- Held: a live worker is sending it (or another delivery with the same key is),
        -- perhaps this one.
        CONTINUE WHEN ps_delivery_held_here(v_row.id)
                      OR NOT pg_try_advisory_lock(ps_delivery_lock_key(v_row.id));
        IF now() >= v_row.created_at + ps_delivery_give_up_after() THEN
            UPDATE deliveries d SET state = 'failed',
                last_error = coalesce(d.last_error, 'not sent within 24 hours')
            WHERE d.building_id = v_row.building_id AND d.id = v_row.id;
            PERFORM pg_advisory_unlock(ps_delivery_lock_key(v_row.id));
            CONTINUE;
        END IF;
        UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1,
            next_attempt_at = now(),
            last_error = CASE WHEN v_row.state = 'sending'
                              THEN 'its sender stopped before the server accepted it'
                              ELSE d.last_error END
        WHERE d.building_id = v_row.building_id AND d.id = v_row.id;
        RETURN QUERY
            SELECT d.building_id, d.id, d.address, d.attempts,
                   coalesce(p.locale, 'en'), b.name, b.timezone,
                   n.kind, n.title, n.body, n.data, n.at
            FROM deliveries d
            JOIN notifications n ON n.building_id = d.building_id AND n.id = d.notification_id
            JOIN buildings b ON b.id = d.building_id
            LEFT JOIN notification_preferences p
                ON p.building_id = n.building_id AND p.user_id = n.user_id
            WHERE d.building_id = v_row.building_id AND d.id = v_row.id;
        v_taken := v_taken + 1;
        EXIT WHEN v_taken >= p_limit;
    END LOOP;
END
$$;

-- The server took responsibility for the message (its 250 to the end of DATA, SES's
-- answer): sent. False if this delivery is not sending any more (nothing changes).
CREATE OR REPLACE FUNCTION parkshare.delivery_sent(p_building uuid, p_id uuid)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    PERFORM ps_system();
    UPDATE deliveries SET state = 'sent', sent_at = now()
    WHERE building_id = p_building AND id = p_id AND state = 'sending';
    RETURN FOUND;
END
$$;

-- An attempt that did not deliver: pending again after the backoff when it may succeed
-- later and the next attempt still falls within 24 hours, failed otherwise. Answers the
-- new state (null if this delivery is not sending any more).
CREATE OR REPLACE FUNCTION parkshare.delivery_failed(p_building uuid, p_id uuid,
                                                     p_error text, p_retryable boolean)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_state text;
BEGIN
    PERFORM ps_system();
    UPDATE deliveries d SET
        state = CASE WHEN p_retryable
                          AND now() + ps_delivery_backoff(d.attempts)
                              < d.created_at + ps_delivery_give_up_after()
                     THEN 'pending' ELSE 'failed' END,
        next_attempt_at = now() + ps_delivery_backoff(d.attempts),
        last_error = left(coalesce(p_error, 'unknown error'), 2000)
    WHERE d.building_id = p_building AND d.id = p_id AND d.state = 'sending'
    RETURNING d.state INTO v_state;
    RETURN v_state;
END
$$;

-- After the outcome committed: the delivery's lock, for the next sender.
CREATE OR REPLACE FUNCTION parkshare.delivery_release(p_id uuid) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$ SELECT pg_advisory_unlock(ps_delivery_lock_key(p_id)) $$;

-- A worker with no way to send mail: what is due is skipped, so that mail turned on later
-- does not send a backlog of stale news. Answers how many.
CREATE OR REPLACE FUNCTION parkshare.deliveries_skip()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    PERFORM ps_system();
    UPDATE deliveries SET state = 'skipped', last_error = 'no mail transport configured'
    WHERE (building_id, id) IN (
        SELECT d.building_id, d.id FROM deliveries d
        WHERE d.state = 'pending' AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at LIMIT 1000
        FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- Admin: the building's deliveries, newest first, optionally in one state.
CREATE OR REPLACE FUNCTION parkshare.admin_deliveries(p_state text, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_limit integer := coalesce(p_limit, 100);
BEGIN
    IF p_state NOT IN ('pending', 'sending', 'sent', 'failed', 'skipped') THEN
        PERFORM ps_raise('invalid_request', 'state is pending, sending, sent, failed or skipped');
    END IF;
    IF v_limit NOT BETWEEN 1 AND 500 THEN
        PERFORM ps_raise('invalid_request', 'limit is 1 to 500');
    END IF;
    RETURN coalesce((
        SELECT jsonb_agg(x.e ORDER BY x.created_at DESC, x.id DESC) FROM (
            SELECT d.created_at, d.id, jsonb_build_object(
                'id', d.id, 'notification_id', d.notification_id, 'kind', n.kind,
                'user', ps_user_brief(n.user_id), 'channel', d.channel,
                'address', d.address, 'state', d.state, 'attempts', d.attempts,
                'next_attempt_at', CASE WHEN d.state = 'pending'
                                        THEN ps_iso(d.next_attempt_at) END,
                'last_error', d.last_error, 'created_at', ps_iso(d.created_at),
                'sent_at', ps_iso(d.sent_at)) AS e
            FROM deliveries d
            JOIN notifications n ON n.building_id = d.building_id AND n.id = d.notification_id
            WHERE d.building_id = v_admin.building_id
              AND (p_state IS NULL OR d.state = p_state)
            ORDER BY d.created_at DESC, d.id DESC
            LIMIT v_limit) x), '[]'::jsonb);
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.deliveries_claim(integer),
    parkshare.delivery_sent(uuid, uuid),
    parkshare.delivery_failed(uuid, uuid, text, boolean),
    parkshare.delivery_release(uuid),
    parkshare.deliveries_skip(),
    parkshare.admin_deliveries(text, integer)
TO parkshare_app;
