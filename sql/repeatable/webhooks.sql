-- Webhooks: an admin registers a URL and the event types it wants; the worker
-- (parkshare.notify.webhooks) sends it the building's published events as signed POSTs.
--
-- Order and at-least-once: a webhook follows the building's stream. Its state keeps the
-- stream position of the last event it passed (delivered, or given up after 24 hours); the
-- next event is the first published outbox row after that position of a type it wants. Until
-- that head event is delivered nothing later is sent, so a receiver sees them in stream
-- order; a worker crashing after a send and before recording it sends the head again. One
-- worker at a time sends to a webhook: it holds a lease (`claimed_until`) while it sends,
-- renewed with each event, and a lease that runs out (a worker gone) frees the webhook for
-- another. The outbox prune keeps rows a webhook has not passed yet, for at most 24 hours.

-- The wait after the `p_failures`-th failure of an event: 1 s, 4 s, 16 s, 64 s, ... (x4),
-- at most an hour.
CREATE OR REPLACE FUNCTION parkshare.ps_webhook_backoff(p_failures integer) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT make_interval(secs => least(power(4, greatest(p_failures, 1) - 1), 3600)) $$;

CREATE OR REPLACE FUNCTION parkshare.ps_webhook_json(w parkshare.webhooks) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT jsonb_build_object(
        'id', w.id, 'url', w.url, 'events', to_jsonb(w.events),
        'last_delivery', (SELECT jsonb_build_object('at', ps_iso(d.at), 'status', d.status,
                                                    'attempts', d.attempt)
                          FROM webhook_deliveries d
                          WHERE d.building_id = w.building_id AND d.webhook_id = w.id
                          ORDER BY d.id DESC LIMIT 1))
$$;

-- The building's first published event of a type `p_events` names after the stream
-- position (`p_ms`, `p_seq`). Events addressed to one resident are never a webhook's.
CREATE OR REPLACE FUNCTION parkshare.ps_webhook_next(p_building uuid, p_events text[],
                                                     p_ms bigint, p_seq bigint)
RETURNS parkshare.outbox
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
    SELECT o.* FROM outbox o
    WHERE o.building_id = p_building AND o.stream_id IS NOT NULL
      AND (o.stream_ms, o.stream_seq) > (p_ms, p_seq)
      AND o.user_id IS NULL AND o.type = ANY (p_events)
    ORDER BY o.stream_ms, o.stream_seq
    LIMIT 1
$$;

-- Admin: register a webhook. The URL's shape and the event types are checked here; the
-- function checked before that the host resolves to public addresses only, and sealed the
-- secret it answers once. It receives what is published from now on.
CREATE OR REPLACE FUNCTION parkshare.create_webhook(p_url text, p_events text[], p_secret bytea)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_events text[];
    v_unknown text[];
    v_hook webhooks;
    v_last outbox;
BEGIN
    IF p_url IS NULL OR NOT ps_webhook_url_valid(p_url) THEN
        PERFORM ps_raise('invalid_webhook',
            'url must be https://host[:port][/path] (plain http:// only to loopback)');
    END IF;
    SELECT array_agg(e ORDER BY min_ord) INTO v_events
    FROM (SELECT e, min(ord) AS min_ord FROM unnest(p_events) WITH ORDINALITY AS u(e, ord)
          GROUP BY e) d;
    IF coalesce(cardinality(v_events), 0) = 0 THEN
        PERFORM ps_raise('invalid_webhook', 'events must name at least one event type');
    END IF;
    SELECT array_agg(e) INTO v_unknown
    FROM unnest(v_events) e WHERE e IS NULL OR NOT e = ANY (ps_webhook_event_types());
    IF v_unknown IS NOT NULL THEN
        PERFORM ps_raise('invalid_webhook', format('unknown event types %s; known: %s',
            array_to_string(v_unknown, ', ', 'null'),
            array_to_string(ps_webhook_event_types(), ', ')));
    END IF;
    IF (SELECT count(*) FROM webhooks WHERE building_id = v_admin.building_id) >= 20 THEN
        PERFORM ps_raise('invalid_webhook', 'a building has at most 20 webhooks');
    END IF;
    INSERT INTO webhooks (building_id, url, events, secret, created_by)
    VALUES (v_admin.building_id, p_url, v_events, p_secret, v_admin.id)
    RETURNING * INTO v_hook;
    SELECT * INTO v_last FROM outbox
    WHERE building_id = v_admin.building_id AND stream_id IS NOT NULL
    ORDER BY stream_ms DESC, stream_seq DESC LIMIT 1;
    INSERT INTO webhook_state (building_id, webhook_id, after_ms, after_seq)
    VALUES (v_admin.building_id, v_hook.id, coalesce(v_last.stream_ms, 0),
            coalesce(v_last.stream_seq, 0));
    -- The host only: a receiver's URL often carries a token of its own.
    PERFORM ps_audit('admin.webhook_created', v_hook.id, jsonb_build_object(
        'host', substring(p_url from '^[a-zA-Z]+://([^/?#]+)'), 'events', to_jsonb(v_events)));
    RETURN jsonb_build_object('id', v_hook.id, 'url', v_hook.url, 'events', to_jsonb(v_events));
END
$$;

-- Admin: the building's webhooks with their last delivery attempt (never their secrets).
CREATE OR REPLACE FUNCTION parkshare.admin_webhooks()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    RETURN jsonb_build_object('webhooks', coalesce((
        SELECT jsonb_agg(ps_webhook_json(w) ORDER BY w.created_at, w.id)
        FROM webhooks w WHERE w.building_id = v_admin.building_id), '[]'::jsonb));
END
$$;

-- Admin: remove a webhook, its state and its log. A send under way may still arrive.
CREATE OR REPLACE FUNCTION parkshare.delete_webhook(p_webhook uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_url text;
BEGIN
    DELETE FROM webhooks WHERE building_id = v_admin.building_id AND id = p_webhook
    RETURNING url INTO v_url;
    IF NOT FOUND THEN
        PERFORM ps_raise('webhook_not_found', 'no such webhook in this building');
    END IF;
    PERFORM ps_audit('admin.webhook_deleted', p_webhook, jsonb_build_object(
        'host', substring(v_url from '^[a-zA-Z]+://([^/?#]+)')));
END
$$;

-- Worker: up to `p_limit` webhooks with an event to send now, each leased to the caller for
-- `p_lease_seconds`, with its head event. A webhook leased to another worker, or waiting
-- out its backoff, is passed over.
CREATE OR REPLACE FUNCTION parkshare.webhook_claim(p_limit integer, p_lease_seconds integer)
RETURNS TABLE (building_id uuid, webhook_id uuid, url text, secret bytea, outbox_id bigint,
               event_id text, type text, data jsonb, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_state webhook_state;
    v_hook webhooks;
    v_next outbox;
    v_count integer := 0;
BEGIN
    PERFORM ps_system();
    -- Looked at unlocked first: the poll runs several times a second, and locking every
    -- idle webhook's row each time would write to each of them.
    FOR v_state IN
        SELECT s.* FROM webhook_state s
        WHERE (s.claimed_until IS NULL OR s.claimed_until < now())
          AND (s.retry_at IS NULL OR s.retry_at <= now())
        ORDER BY s.retry_at NULLS FIRST
    LOOP
        SELECT * INTO v_hook FROM webhooks w
        WHERE w.building_id = v_state.building_id AND w.id = v_state.webhook_id;
        CONTINUE WHEN v_hook.id IS NULL
            OR ps_webhook_next(v_state.building_id, v_hook.events, v_state.after_ms,
                               v_state.after_seq) IS NULL;
        -- Something to send: lock it, unless another worker holds it, and read it again
        -- (that worker may have sent and moved the cursor since).
        SELECT s.* INTO v_state FROM webhook_state s
        WHERE s.building_id = v_state.building_id AND s.webhook_id = v_state.webhook_id
          AND (s.claimed_until IS NULL OR s.claimed_until < now())
          AND (s.retry_at IS NULL OR s.retry_at <= now())
        FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        v_next := ps_webhook_next(v_state.building_id, v_hook.events, v_state.after_ms,
                                  v_state.after_seq);
        CONTINUE WHEN v_next.id IS NULL;
        UPDATE webhook_state s SET claimed_until = now() + make_interval(secs => p_lease_seconds)
        WHERE s.building_id = v_state.building_id AND s.webhook_id = v_state.webhook_id;
        building_id := v_hook.building_id;
        webhook_id := v_hook.id;
        url := v_hook.url;
        secret := v_hook.secret;
        outbox_id := v_next.id;
        event_id := v_next.stream_id;
        type := v_next.type;
        data := v_next.data;
        created_at := v_next.created_at;
        RETURN NEXT;
        v_count := v_count + 1;
        EXIT WHEN v_count >= p_limit;
    END LOOP;
END
$$;

-- Worker: what one attempt to send event `p_outbox` to the webhook came to: the receiver's
-- HTTP status (null: no answer, or not sent, `p_error` says why). A 2xx delivers it; a
-- failure waits its backoff, unless the event is past its 24 hours, when it is given up and
-- the webhook moves on. Answers the outcome and the attempt's number, and, while the lease
-- holds, the next event to send now (the lease renewed for it).
CREATE OR REPLACE FUNCTION parkshare.webhook_attempted(p_building uuid, p_webhook uuid,
                                                       p_outbox bigint, p_status integer,
                                                       p_error text, p_duration_ms integer,
                                                       p_lease_seconds integer)
RETURNS TABLE (outcome text, attempt integer, outbox_id bigint, event_id text, type text,
               data jsonb, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_state webhook_state;
    v_hook webhooks;
    v_event outbox;
    v_next outbox;
BEGIN
    PERFORM ps_system();
    SELECT * INTO v_state FROM webhook_state s
    WHERE s.building_id = p_building AND s.webhook_id = p_webhook FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;  -- deleted meanwhile
    END IF;
    SELECT * INTO v_hook FROM webhooks w WHERE w.building_id = p_building AND w.id = p_webhook;
    SELECT * INTO v_event FROM outbox o WHERE o.building_id = p_building AND o.id = p_outbox;
    attempt := CASE WHEN v_state.head_outbox = p_outbox THEN v_state.attempts + 1 ELSE 1 END;
    IF p_status BETWEEN 200 AND 299 THEN
        outcome := 'delivered';
    ELSIF v_event.id IS NULL
          OR v_event.published_at + ps_webhook_retry_window() <= now() THEN
        outcome := 'given_up';
    ELSE
        outcome := 'failed';
    END IF;
    INSERT INTO webhook_deliveries (building_id, webhook_id, outbox_id, event_id, event_type,
                                    attempt, status, error, duration_ms, outcome)
    VALUES (p_building, p_webhook, p_outbox, coalesce(v_event.stream_id, ''),
            coalesce(v_event.type, ''), attempt, p_status, left(p_error, 1000),
            greatest(coalesce(p_duration_ms, 0), 0), outcome);
    -- A worker whose lease ran out while it sent (a stalled process) may record after
    -- another one moved past this event: its record is logged and changes nothing else, so
    -- the cursor never goes back and the other's lease stands.
    IF v_event.id IS NOT NULL
       AND (v_event.stream_ms, v_event.stream_seq) <= (v_state.after_ms, v_state.after_seq) THEN
        RETURN NEXT;
        RETURN;
    END IF;
    IF outcome = 'failed' THEN
        UPDATE webhook_state s SET head_outbox = p_outbox, attempts = attempt,
            retry_at = now() + ps_webhook_backoff(attempt), claimed_until = NULL
        WHERE s.building_id = p_building AND s.webhook_id = p_webhook;
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_event.id IS NOT NULL THEN
        v_state.after_ms := v_event.stream_ms;
        v_state.after_seq := v_event.stream_seq;
    END IF;
    v_next := ps_webhook_next(p_building, v_hook.events, v_state.after_ms, v_state.after_seq);
    UPDATE webhook_state s SET after_ms = v_state.after_ms, after_seq = v_state.after_seq,
        head_outbox = NULL, attempts = 0, retry_at = NULL,
        claimed_until = CASE WHEN v_next.id IS NULL THEN NULL
                             ELSE now() + make_interval(secs => p_lease_seconds) END
    WHERE s.building_id = p_building AND s.webhook_id = p_webhook;
    outbox_id := v_next.id;
    event_id := v_next.stream_id;
    type := v_next.type;
    data := v_next.data;
    created_at := v_next.created_at;
    RETURN NEXT;
END
$$;

-- Worker: attempts older than `p_keep`, except each webhook's last (its last_delivery).
CREATE OR REPLACE FUNCTION parkshare.webhook_log_prune(p_keep interval)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    PERFORM ps_system();
    DELETE FROM webhook_deliveries d
    WHERE d.at < now() - p_keep
      AND d.id < (SELECT max(l.id) FROM webhook_deliveries l
                  WHERE l.building_id = d.building_id AND l.webhook_id = d.webhook_id);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.create_webhook(text, text[], bytea),
    parkshare.admin_webhooks(),
    parkshare.delete_webhook(uuid),
    parkshare.webhook_claim(integer, integer),
    parkshare.webhook_attempted(uuid, uuid, bigint, integer, text, integer, integer),
    parkshare.webhook_log_prune(interval)
TO parkshare_app;
