-- In-app notifications: written by the procedures in the transaction of their cause (a
-- booking, a cancellation, a settlement), once per person, kind and reservation, and
-- announced as `notification.created` to their user only (the outbox row's user_id, which
-- the relay and GraphQL subscriptions honour). Residents list them, mark them read and keep
-- their choices (email per kind, the reminder's lead time, their language) here.

-- Defaults of a resident without choices of their own: email for every kind but the end
-- reminder (a parker already knows when they leave).
CREATE OR REPLACE FUNCTION parkshare.ps_email_defaults() RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_object_agg(k, k <> 'booking.ends_soon')
    FROM unnest(parkshare.ps_notification_kinds()) k
$$;

CREATE OR REPLACE FUNCTION parkshare.ps_notification_json(n parkshare.notifications)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', n.id, 'kind', n.kind, 'at', parkshare.ps_iso(n.at), 'read', n.read_at IS NOT NULL,
        'title', n.title, 'body', n.body, 'data', n.data)
$$;

-- "Mon 3 Mar 14:00–16:00" (or "… 22:00–Tue 4 Mar 08:00" across midnight) in `p_zone`:
-- the times residents read, on their building's wall clock. English by construction
-- (to_char's names ignore lc_time without TM); other languages are the templates' job.
CREATE OR REPLACE FUNCTION parkshare.ps_local_span(p_start timestamptz, p_end timestamptz,
                                                   p_zone text)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT to_char(p_start AT TIME ZONE p_zone, 'Dy FMDD Mon HH24:MI') || '–'
        || to_char(p_end AT TIME ZONE p_zone,
                   CASE WHEN (p_start AT TIME ZONE p_zone)::date = (p_end AT TIME ZONE p_zone)::date
                        THEN 'HH24:MI' ELSE 'Dy FMDD Mon HH24:MI' END)
$$;

-- A notification for `p_user` (in their building), its email if they want it
-- (ps_queue_deliveries, in deliveries.sql) and its live announcement to them alone.
-- A second one of the same kind about the same reservation is not written (and answers
-- null): a cause repeated, or a reminder run twice, tells nobody twice.
CREATE OR REPLACE FUNCTION parkshare.ps_notify(p_user uuid, p_kind text, p_title text,
                                               p_body text, p_data jsonb)
RETURNS parkshare.notifications
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_building uuid;
    v_note notifications;
BEGIN
    SELECT building_id INTO STRICT v_building FROM users WHERE id = p_user;
    INSERT INTO notifications (building_id, user_id, kind, title, body, data)
    VALUES (v_building, p_user, p_kind, p_title, p_body, coalesce(p_data, '{}'))
    ON CONFLICT (building_id, user_id, kind, (data ->> 'reservation_id'))
        WHERE data ? 'reservation_id' DO NOTHING
    RETURNING * INTO v_note;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM ps_queue_deliveries(v_note);
    -- The notification only, no unread count: counting a resident's unread ones on every
    -- write grows with what they leave unread (an owner of a busy spot who never opens the
    -- app: 1.4 ms of PostgreSQL per booking at a few thousand, in `just bench`). A client adds
    -- one to the count it last read (GET /fn/notifications answers it exactly).
    PERFORM ps_emit(v_building, 'notification.created',
                    jsonb_build_object('notification', ps_notification_json(v_note)), p_user);
    RETURN v_note;
END
$$;

-- A notification about a reservation: the spot's label and the window on the building's
-- clock in the text, the facts in `data` (with `p_extra`, e.g. who cancelled).
CREATE OR REPLACE FUNCTION parkshare.ps_notify_booking(p_res parkshare.reservations,
                                                       p_user uuid, p_kind text,
                                                       p_extra jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_label text;
    v_zone text;
    v_place text;
    v_title text;
BEGIN
    SELECT s.label, b.timezone INTO STRICT v_label, v_zone
    FROM spots s JOIN buildings b ON b.id = s.building_id
    WHERE s.building_id = p_res.building_id AND s.id = p_res.spot_id;
    v_place := format('Spot %s, %s', v_label,
                      ps_local_span(lower(p_res.period), upper(p_res.period), v_zone));
    v_title := CASE p_kind
        WHEN 'booking.confirmed' THEN 'Booking confirmed'
        WHEN 'request.matched' THEN 'Spot found for your request'
        WHEN 'reservation.no_show' THEN 'No check-in: booking released'
        WHEN 'spot.booked' THEN 'Your spot was booked'
        WHEN 'booking.cancelled' THEN 'Booking cancelled'
        WHEN 'credits.earned' THEN format('%s credits earned', p_res.cost)
        WHEN 'booking.starts_soon' THEN format('Starts at %s',
                                               to_char(lower(p_res.period) AT TIME ZONE v_zone, 'HH24:MI'))
        WHEN 'booking.ends_soon' THEN format('Ends at %s',
                                             to_char(upper(p_res.period) AT TIME ZONE v_zone, 'HH24:MI'))
        ELSE p_kind END;
    PERFORM ps_notify(
        p_user, p_kind, v_title,
        CASE WHEN p_kind = 'booking.cancelled'
             THEN format('%s: cancelled by %s.', v_place, CASE p_extra ->> 'by'
                 WHEN 'parker' THEN 'the parker' WHEN 'owner' THEN 'the owner'
                 ELSE 'an admin' END)
             ELSE v_place || '.' END,
        jsonb_build_object(
            'reservation_id', p_res.id, 'spot_id', p_res.spot_id, 'spot_label', v_label,
            'start', ps_iso(lower(p_res.period)), 'end', ps_iso(upper(p_res.period)),
            'amount', p_res.cost) || coalesce(p_extra, '{}'));
END
$$;

-- The caller's notifications, newest first, below the id `p_before` (the next page), with
-- the count of all their unread ones.
CREATE OR REPLACE FUNCTION parkshare.my_notifications(p_before bigint, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_limit integer := coalesce(p_limit, 50);
BEGIN
    IF v_limit NOT BETWEEN 1 AND 100 THEN
        PERFORM ps_raise('invalid_request', 'limit is 1 to 100');
    END IF;
    RETURN jsonb_build_object(
        'notifications', coalesce((
            SELECT jsonb_agg(ps_notification_json(n) ORDER BY n.id DESC)
            FROM (SELECT * FROM notifications
                  WHERE building_id = v_actor.building_id AND user_id = v_actor.id
                    AND (p_before IS NULL OR id < p_before)
                  ORDER BY id DESC LIMIT v_limit) n), '[]'::jsonb),
        'unread', (SELECT count(*) FROM notifications
                   WHERE building_id = v_actor.building_id AND user_id = v_actor.id
                     AND read_at IS NULL));
END
$$;

-- Marks the caller's notifications `p_ids` read, or all of them (`p_all`): exactly one of
-- the two. Ids that are not the caller's are passed over as unknown. Answers how many
-- changed.
CREATE OR REPLACE FUNCTION parkshare.mark_notifications_read(p_ids bigint[], p_all boolean)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_count integer;
BEGIN
    IF (p_ids IS NULL) = (p_all IS NULL) THEN
        PERFORM ps_raise('invalid_request', 'send either ids or all: true');
    END IF;
    IF p_all IS NOT NULL AND NOT p_all THEN
        PERFORM ps_raise('invalid_request', 'all must be true when sent');
    END IF;
    IF cardinality(p_ids) > 1000 THEN
        PERFORM ps_raise('invalid_request', 'at most 1000 ids at once');
    END IF;
    UPDATE notifications SET read_at = now()
    WHERE building_id = v_actor.building_id AND user_id = v_actor.id AND read_at IS NULL
      AND (p_all OR id = ANY (p_ids));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

CREATE OR REPLACE FUNCTION parkshare.notification_preferences()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_prefs notification_preferences;
BEGIN
    SELECT * INTO v_prefs FROM notification_preferences
    WHERE building_id = v_actor.building_id AND user_id = v_actor.id;
    RETURN jsonb_build_object(
        'email', ps_email_defaults() || coalesce(v_prefs.email, '{}'),
        'remind_minutes', coalesce(v_prefs.remind_minutes, 15),
        'locale', coalesce(v_prefs.locale, 'en'));
END
$$;

-- Changes the caller's choices: what is null stays as it was; `p_email` is merged per kind.
CREATE OR REPLACE FUNCTION parkshare.set_notification_preferences(p_email jsonb,
                                                                  p_remind_minutes integer,
                                                                  p_locale text)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
BEGIN
    IF p_email IS NOT NULL AND NOT ps_email_choices_valid(p_email) THEN
        PERFORM ps_raise('invalid_request', format(
            'email maps kinds (%s) to true or false',
            array_to_string(ps_notification_kinds(), ', ')));
    END IF;
    IF p_remind_minutes NOT BETWEEN 0 AND 1440 THEN
        PERFORM ps_raise('invalid_request', 'remind_minutes is 0 to 1440');
    END IF;
    IF p_locale NOT IN ('en', 'fr', 'de') THEN
        PERFORM ps_raise('invalid_request', 'locale is en, fr or de');
    END IF;
    INSERT INTO notification_preferences AS p (building_id, user_id, email, remind_minutes,
                                               locale)
    VALUES (v_actor.building_id, v_actor.id, coalesce(p_email, '{}'),
            coalesce(p_remind_minutes, 15), coalesce(p_locale, 'en'))
    ON CONFLICT (building_id, user_id) DO UPDATE
        SET email = p.email || coalesce(p_email, '{}'),
            remind_minutes = coalesce(p_remind_minutes, p.remind_minutes),
            locale = coalesce(p_locale, p.locale),
            updated_at = now();
    RETURN notification_preferences();
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.my_notifications(bigint, integer),
    parkshare.mark_notifications_read(bigint[], boolean),
    parkshare.notification_preferences(),
    parkshare.set_notification_preferences(jsonb, integer, text)
TO parkshare_app;
