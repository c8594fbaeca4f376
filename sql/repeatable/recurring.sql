-- Recurring sharing and time off: an owner's weekly patterns, their pauses, and their
-- occurrences made into ordinary availability windows on the path set_availability takes
-- (ps_change_availability, reservations.sql), so merging with manual windows, rule 3 for
-- bookings, rule 10 for withdrawals and the availability.changed events are the same.
-- Times and dates of a pattern are the building's wall clock (buildings.timezone).
--
-- Locks: every change of a spot's windows holds the spot's row (FOR UPDATE) first, then the
-- pattern's, in that order wherever both are taken.

-- The instant a wall-clock time of `p_zone` names, by the contract's rule: a time that does
-- not exist (a spring-forward gap) starts at the first instant after the gap, and an
-- ambiguous one (a fall-back hour) means its first occurrence. PostgreSQL's own
-- `timestamp AT TIME ZONE zone` reads both with the offset of standard time: 02:30 in
-- Paris's March gap is 03:30 after it, and October's ambiguous 02:30 its second occurrence.
CREATE OR REPLACE FUNCTION parkshare.ps_zone_instant(p_local timestamp, p_zone text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    -- The wall-clock time read as UTC: an instant showing it is this less the zone's offset.
    v_naive timestamptz := p_local AT TIME ZONE 'UTC';
    -- The offsets the zone keeps a day either side (a change lies between them, if any).
    v_before interval := ((v_naive - interval '1 day') AT TIME ZONE p_zone)
                         - ((v_naive - interval '1 day') AT TIME ZONE 'UTC');
    v_after interval := ((v_naive + interval '1 day') AT TIME ZONE p_zone)
                        - ((v_naive + interval '1 day') AT TIME ZONE 'UTC');
    v_first timestamptz;
    v_low timestamptz;
    v_high timestamptz;
    v_mid timestamptz;
BEGIN
    SELECT min(c) INTO v_first
    FROM unnest(ARRAY[v_naive - v_before, v_naive - v_after]) c
    WHERE c AT TIME ZONE p_zone = p_local;
    IF v_first IS NOT NULL THEN
        RETURN v_first;
    END IF;
    -- In a gap (the clock jumps from before p_local to after it): the change itself is the
    -- first instant after the gap. It lies in (v_low, v_high]: the clock shows less than
    -- p_local before it and more from it on. Changes fall on whole seconds.
    v_low := v_naive - greatest(v_before, v_after);
    v_high := v_naive - least(v_before, v_after);
    WHILE v_high - v_low > interval '1 second' LOOP
        v_mid := v_low + date_trunc('second', (v_high - v_low) / 2);
        IF v_mid AT TIME ZONE p_zone > p_local THEN
            v_high := v_mid;
        ELSE
            v_low := v_mid;
        END IF;
    END LOOP;
    RETURN v_high;
END
$$;

-- An occurrence's window: from `p_from` on `p_day` to `p_until` that day, or the next day when
-- `p_until` is not after `p_from` (equal: the same time the next day, 24 hours on a day
-- without a clock change). Empty when both ends fall in one gap.
CREATE OR REPLACE FUNCTION parkshare.ps_occurrence(p_zone text, p_day date, p_from time,
                                                   p_until time)
RETURNS tstzrange
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN e > s THEN tstzrange(s, e, '[)') ELSE 'empty'::tstzrange END
    FROM (SELECT parkshare.ps_zone_instant(p_day + p_from, p_zone) AS s,
                 parkshare.ps_zone_instant(
                     p_day + CASE WHEN p_until <= p_from THEN 1 ELSE 0 END + p_until,
                     p_zone) AS e) x
$$;

-- The local days from p_first to p_last on which the pattern has an occurrence: one of its
-- weekdays, within [starts_on, ends_on], in a week counted from the week (Monday to Sunday)
-- of starts_on that is a multiple of every_weeks, and not paused.
CREATE OR REPLACE FUNCTION parkshare.ps_pattern_days(p parkshare.patterns, p_first date,
                                                     p_last date)
RETURNS SETOF date
LANGUAGE sql STABLE
AS $$
    SELECT d FROM (
        SELECT greatest(p_first, p.starts_on) + i AS d
        FROM generate_series(0, least(p_last, coalesce(p.ends_on, p_last))
                                - greatest(p_first, p.starts_on)) i) days
    WHERE extract(isodow FROM d)::smallint = ANY (p.weekdays)
      AND ((d - (extract(isodow FROM d)::integer - 1))
           - (p.starts_on - (extract(isodow FROM p.starts_on)::integer - 1))) / 7
          % p.every_weeks = 0
      AND NOT EXISTS (SELECT 1 FROM parkshare.pattern_pauses z
                      WHERE z.building_id = p.building_id AND z.pattern_id = p.id
                        AND d BETWEEN z.start_date AND z.end_date)
    ORDER BY d
$$;

-- A Pattern as the contract shows it. Runs as its caller: the application role reads its
-- own pauses only (the owner policy). VOLATILE so that it reads with a snapshot of its own:
-- `SELECT ps_pattern_json(p) FROM pause_pattern(...) p` must show the pause just made, which
-- a STABLE function (reading with the statement's snapshot, taken before) would not.
CREATE OR REPLACE FUNCTION parkshare.ps_pattern_json(p parkshare.patterns) RETURNS jsonb
LANGUAGE sql VOLATILE
AS $$
    SELECT jsonb_build_object(
        'id', p.id, 'spot_id', p.spot_id, 'weekdays', to_jsonb(p.weekdays),
        'from', to_char(p.from_time, 'HH24:MI'), 'until', to_char(p.until_time, 'HH24:MI'),
        'every_weeks', p.every_weeks, 'starts_on', p.starts_on, 'ends_on', p.ends_on,
        'paused', coalesce((
            SELECT jsonb_agg(jsonb_build_object('start_date', z.start_date,
                                                'end_date', z.end_date)
                             ORDER BY z.start_date, z.end_date, z.id)
            FROM parkshare.pattern_pauses z
            WHERE z.building_id = p.building_id AND z.pattern_id = p.id), '[]'::jsonb),
        'status', p.status)
$$;

-- "weekdays 08:00–18:00", "Mon, Wed every 2 weeks 22:00–06:00 until 2026-12-24": what a
-- garage card says of a pattern.
CREATE OR REPLACE FUNCTION parkshare.ps_pattern_summary(p parkshare.patterns, p_today date)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE p.weekdays
               WHEN '{1,2,3,4,5}'::smallint[] THEN 'weekdays'
               WHEN '{6,7}'::smallint[] THEN 'weekends'
               WHEN '{1,2,3,4,5,6,7}'::smallint[] THEN 'every day'
               ELSE (SELECT string_agg((ARRAY['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat',
                                              'Sun'])[d], ', ' ORDER BY d)
                     FROM unnest(p.weekdays) d)
           END
        || CASE WHEN p.every_weeks > 1 THEN format(' every %s weeks', p.every_weeks) ELSE '' END
        || ' ' || to_char(p.from_time, 'HH24:MI') || '–' || to_char(p.until_time, 'HH24:MI')
        || CASE WHEN p.starts_on > p_today THEN ' from ' || to_char(p.starts_on, 'YYYY-MM-DD') ELSE '' END
        || CASE WHEN p.ends_on IS NOT NULL THEN ' until ' || to_char(p.ends_on, 'YYYY-MM-DD') ELSE '' END
$$;

-- "HH:MM" (00:00 to 23:59) as a time, or invalid_pattern.
CREATE OR REPLACE FUNCTION parkshare.ps_pattern_time(p_text text, p_field text) RETURNS time
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_text IS NULL OR p_text !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$' THEN
        PERFORM parkshare.ps_raise('invalid_pattern',
                                   format('%s is a local time "HH:MM", 00:00 to 23:59', p_field));
    END IF;
    RETURN p_text::time;
END
$$;

-- Makes the pattern's occurrences from the day after materialised_through up to the
-- building's horizon (local days, counted from p_now) into windows, on the spot the caller
-- has locked, and records each (once: a day already recorded is skipped). An occurrence
-- already over is not offered; one of yesterday may still be under way. Answers how many
-- windows it offered.
CREATE OR REPLACE FUNCTION parkshare.ps_materialise(p_pattern parkshare.patterns,
                                                    p_spot parkshare.spots,
                                                    p_building parkshare.buildings,
                                                    p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_today date := (p_now AT TIME ZONE p_building.timezone)::date;
    v_last date := least(v_today + p_building.horizon_days, p_pattern.ends_on);
    v_day date;
    v_window tstzrange;
    v_offered integer := 0;
BEGIN
    IF v_last <= p_pattern.materialised_through THEN
        RETURN 0;
    END IF;
    FOR v_day IN
        SELECT d FROM ps_pattern_days(p_pattern, greatest(p_pattern.materialised_through + 1,
                                                          v_today - 1), v_last) d
    LOOP
        v_window := ps_occurrence(p_building.timezone, v_day, p_pattern.from_time,
                                  p_pattern.until_time);
        CONTINUE WHEN isempty(v_window) OR upper(v_window) <= p_now;
        INSERT INTO pattern_occurrences (building_id, pattern_id, on_date, period)
        VALUES (p_pattern.building_id, p_pattern.id, v_day, v_window)
        ON CONFLICT (building_id, pattern_id, on_date) DO NOTHING;
        CONTINUE WHEN NOT FOUND;
        PERFORM ps_change_availability(p_spot, lower(v_window), upper(v_window), true, false,
                                       NULL);
        v_offered := v_offered + 1;
    END LOOP;
    UPDATE patterns SET materialised_through = v_last
    WHERE building_id = p_pattern.building_id AND id = p_pattern.id
      AND materialised_through < v_last;
    RETURN v_offered;
END
$$;

-- Takes back the windows of the pattern's recorded occurrences on days p_first to p_last
-- that have not started (one under way keeps its window to its end), under rule 10:
-- has_reservations unless p_cancel, which cancels and refunds the bookings first.
CREATE OR REPLACE FUNCTION parkshare.ps_withdraw_occurrences(p_pattern parkshare.patterns,
                                                             p_spot parkshare.spots,
                                                             p_first date, p_last date,
                                                             p_cancel boolean, p_by uuid)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_occurrence pattern_occurrences;
    v_withdrawn integer := 0;
BEGIN
    FOR v_occurrence IN
        SELECT * FROM pattern_occurrences
        WHERE building_id = p_pattern.building_id AND pattern_id = p_pattern.id
          AND on_date BETWEEN p_first AND p_last AND withdrawn_at IS NULL
          AND lower(period) > now()
        ORDER BY on_date
        FOR UPDATE
    LOOP
        PERFORM ps_change_availability(p_spot, lower(v_occurrence.period),
                                       upper(v_occurrence.period), false, p_cancel, p_by);
        UPDATE pattern_occurrences SET withdrawn_at = now()
        WHERE building_id = v_occurrence.building_id AND pattern_id = v_occurrence.pattern_id
          AND on_date = v_occurrence.on_date;
        v_withdrawn := v_withdrawn + 1;
    END LOOP;
    RETURN v_withdrawn;
END
$$;

-- The caller's pattern, with its spot locked and then the pattern itself, or
-- pattern_not_found (another resident's pattern is not found either).
CREATE OR REPLACE FUNCTION parkshare.ps_my_pattern(p_actor parkshare.users, p_pattern_id uuid,
                                                   OUT o_pattern parkshare.patterns,
                                                   OUT o_spot parkshare.spots)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_spot_id uuid;
BEGIN
    SELECT spot_id INTO v_spot_id FROM patterns
    WHERE building_id = p_actor.building_id AND id = p_pattern_id AND owner_id = p_actor.id;
    IF NOT FOUND THEN
        PERFORM ps_raise('pattern_not_found', 'no such pattern of yours');
    END IF;
    SELECT * INTO STRICT o_spot FROM spots
    WHERE building_id = p_actor.building_id AND id = v_spot_id FOR UPDATE;
    SELECT * INTO STRICT o_pattern FROM patterns
    WHERE building_id = p_actor.building_id AND id = p_pattern_id FOR UPDATE;
END
$$;

-- POST /fn/recurring. Refusals in this order: a value out of range (invalid_pattern), the
-- spot (spot_not_found, not_owner), the spot's 20 active patterns (invalid_pattern). Its
-- windows up to the horizon are made in this transaction, before it answers.
CREATE OR REPLACE FUNCTION parkshare.create_pattern(p_spot_id uuid, p_weekdays integer[],
                                                    p_from text, p_until text,
                                                    p_every_weeks integer DEFAULT 1,
                                                    p_starts_on date DEFAULT NULL,
                                                    p_ends_on date DEFAULT NULL)
RETURNS parkshare.patterns
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_building buildings;
    v_today date;
    v_from time := ps_pattern_time(p_from, 'from');
    v_until time := ps_pattern_time(p_until, 'until');
    v_weekdays smallint[];
    v_starts date;
    v_spot spots;
    v_pattern patterns;
BEGIN
    SELECT * INTO STRICT v_building FROM buildings WHERE id = v_actor.building_id;
    v_today := (now() AT TIME ZONE v_building.timezone)::date;
    IF coalesce(cardinality(p_weekdays), 0) = 0
       OR EXISTS (SELECT 1 FROM unnest(p_weekdays) d WHERE d IS NULL OR d NOT BETWEEN 1 AND 7)
    THEN
        PERFORM ps_raise('invalid_pattern', 'weekdays are ISO numbers, 1 (Monday) to 7 (Sunday)');
    END IF;
    v_weekdays := ARRAY(SELECT DISTINCT d::smallint FROM unnest(p_weekdays) d ORDER BY 1);
    IF p_every_weeks IS NULL OR p_every_weeks NOT BETWEEN 1 AND 4 THEN
        PERFORM ps_raise('invalid_pattern', 'every_weeks is 1 to 4');
    END IF;
    v_starts := coalesce(p_starts_on, v_today);
    IF v_starts < v_today OR v_starts > v_today + 366 THEN
        PERFORM ps_raise('invalid_pattern', format(
            'starts_on lies between today (%s) and a year from now', v_today));
    END IF;
    IF p_ends_on < v_starts OR p_ends_on > v_starts + 366 THEN
        PERFORM ps_raise('invalid_pattern', 'ends_on lies from starts_on to 366 days after it');
    END IF;
    v_spot := ps_own_spot_locked(v_actor, p_spot_id, 'only the owner shares the spot');
    IF (SELECT count(*) FROM patterns
        WHERE building_id = v_spot.building_id AND spot_id = v_spot.id AND status = 'active')
       >= 20 THEN
        PERFORM ps_raise('invalid_pattern', 'a spot has at most 20 active patterns');
    END IF;
    INSERT INTO patterns (building_id, spot_id, owner_id, weekdays, from_time, until_time,
                          every_weeks, starts_on, ends_on, materialised_through)
    VALUES (v_spot.building_id, v_spot.id, v_actor.id, v_weekdays, v_from, v_until,
            p_every_weeks, v_starts, p_ends_on, v_starts - 1)
    RETURNING * INTO v_pattern;
    PERFORM ps_materialise(v_pattern, v_spot, v_building, now());
    SELECT * INTO STRICT v_pattern FROM patterns
    WHERE building_id = v_pattern.building_id AND id = v_pattern.id;
    RETURN v_pattern;
END
$$;

-- POST /fn/recurring/pause: no occurrences on start_date..end_date; the windows of those
-- already made that have not started are withdrawn (rule 10 as for any withdrawal).
CREATE OR REPLACE FUNCTION parkshare.pause_pattern(p_pattern_id uuid, p_start_date date,
                                                   p_end_date date,
                                                   p_cancel_reservations boolean DEFAULT false)
RETURNS parkshare.patterns
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_found record := ps_my_pattern(v_actor, p_pattern_id);
    v_pattern patterns := v_found.o_pattern;
    v_today date;
BEGIN
    SELECT (now() AT TIME ZONE timezone)::date INTO STRICT v_today
    FROM buildings WHERE id = v_actor.building_id;
    IF p_start_date IS NULL OR p_end_date IS NULL OR p_end_date < p_start_date
       OR p_end_date > p_start_date + 366 THEN
        PERFORM ps_raise('invalid_pattern',
                         'a pause runs from start_date to end_date, at most 366 days later');
    END IF;
    IF p_end_date < v_today THEN
        PERFORM ps_raise('invalid_pattern', format('a pause ends today (%s) or later', v_today));
    END IF;
    IF v_pattern.status <> 'active' THEN
        PERFORM ps_raise('invalid_pattern', 'the pattern is stopped');
    END IF;
    IF (SELECT count(*) FROM pattern_pauses
        WHERE building_id = v_pattern.building_id AND pattern_id = v_pattern.id) >= 100 THEN
        PERFORM ps_raise('invalid_pattern', 'a pattern has at most 100 pauses');
    END IF;
    INSERT INTO pattern_pauses (building_id, pattern_id, owner_id, start_date, end_date)
    VALUES (v_pattern.building_id, v_pattern.id, v_pattern.owner_id, p_start_date, p_end_date);
    PERFORM ps_withdraw_occurrences(v_pattern, v_found.o_spot, p_start_date, p_end_date,
                                    coalesce(p_cancel_reservations, false), v_actor.id);
    RETURN v_pattern;
END
$$;

-- POST /fn/recurring/stop: no more occurrences; the windows of those made that have not
-- started are withdrawn. Stopping a stopped pattern answers it again.
CREATE OR REPLACE FUNCTION parkshare.stop_pattern(p_pattern_id uuid,
                                                  p_cancel_reservations boolean DEFAULT false)
RETURNS parkshare.patterns
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_found record := ps_my_pattern(v_actor, p_pattern_id);
    v_pattern patterns := v_found.o_pattern;
BEGIN
    IF v_pattern.status = 'stopped' THEN
        RETURN v_pattern;
    END IF;
    PERFORM ps_withdraw_occurrences(v_pattern, v_found.o_spot, '-infinity', 'infinity',
                                    coalesce(p_cancel_reservations, false), v_actor.id);
    UPDATE patterns SET status = 'stopped', stopped_at = now()
    WHERE building_id = v_pattern.building_id AND id = v_pattern.id
    RETURNING * INTO v_pattern;
    RETURN v_pattern;
END
$$;

-- System (the worker's sweep): every active pattern of an active owner whose occurrences are
-- not yet made up to its building's horizon, as of p_now (a parameter so that a test can
-- run it with the clock of a later day). Each local day is done once per pattern, so a run
-- repeated adds nothing and a run after days of downtime makes every day it missed that is
-- not over yet. A spot whose windows are being changed right now is left to the next sweep
-- rather than waited for. p_building: that building only. Answers the windows offered.
CREATE OR REPLACE FUNCTION parkshare.materialise_patterns(p_now timestamptz DEFAULT now(),
                                                          p_building uuid DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_due record;
    v_building buildings;
    v_spot spots;
    v_pattern patterns;
    v_offered integer := 0;
BEGIN
    PERFORM ps_system();
    FOR v_due IN
        SELECT p.building_id, p.spot_id, p.id
        FROM patterns p
        JOIN buildings b ON b.id = p.building_id
        JOIN users u ON u.building_id = p.building_id AND u.id = p.owner_id
        WHERE p.status = 'active' AND u.disabled_at IS NULL
          AND (p_building IS NULL OR p.building_id = p_building)
          AND p.materialised_through
              < least((p_now AT TIME ZONE b.timezone)::date + b.horizon_days, p.ends_on)
        ORDER BY p.building_id, p.spot_id, p.id
    LOOP
        SELECT * INTO v_spot FROM spots
        WHERE building_id = v_due.building_id AND id = v_due.spot_id FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        -- Read again under the spot's lock: another run may have done it meanwhile.
        SELECT * INTO v_pattern FROM patterns
        WHERE building_id = v_due.building_id AND id = v_due.id AND status = 'active'
        FOR UPDATE;
        CONTINUE WHEN NOT FOUND;
        IF v_building.id IS DISTINCT FROM v_due.building_id THEN
            SELECT * INTO STRICT v_building FROM buildings WHERE id = v_due.building_id;
        END IF;
        v_offered := v_offered + ps_materialise(v_pattern, v_spot, v_building, p_now);
    END LOOP;
    RETURN v_offered;
END
$$;

-- What the garage says of each spot's sharing, for any resident of the building: "Free "
-- and the summaries of its active patterns not yet ended ("Free weekdays 08:00–18:00"). The patterns themselves stay
-- private to their owner.
CREATE OR REPLACE FUNCTION parkshare.recurring_summaries(p_spot_ids uuid[])
RETURNS TABLE (spot_id uuid, summary text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_actor users := ps_actor();
    v_today date;
BEGIN
    SELECT (now() AT TIME ZONE timezone)::date INTO STRICT v_today
    FROM buildings WHERE id = v_actor.building_id;
    RETURN QUERY
        SELECT p.spot_id, 'Free ' || string_agg(ps_pattern_summary(p, v_today), '; '
                                                ORDER BY p.created_at, p.id)
        FROM patterns p
        WHERE p.building_id = v_actor.building_id AND p.spot_id = ANY (p_spot_ids)
          AND p.status = 'active' AND (p.ends_on IS NULL OR p.ends_on >= v_today)
        GROUP BY p.spot_id;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.create_pattern(uuid, integer[], text, text, integer, date, date),
    parkshare.pause_pattern(uuid, date, date, boolean),
    parkshare.stop_pattern(uuid, boolean),
    parkshare.materialise_patterns(timestamp with time zone, uuid),
    parkshare.recurring_summaries(uuid[]),
    parkshare.ps_pattern_json(parkshare.patterns)
TO parkshare_app;
