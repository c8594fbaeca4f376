-- The admin's CSV exports: the building's reservations, its ledger and how each spot was used
-- per day, over a window [p_start, p_end) of at most 366 days. Each answers rows the export
-- writes as they are (one column a CSV field, instants already RFC 3339 in UTC), in a stable
-- order; the function that streams them reads them through a cursor in one read-only,
-- repeatable-read transaction, so the file is one consistent picture.
--
-- A set-returning PL/pgSQL function collects its rows before the first one is fetched, in a
-- tuplestore that spills to a temporary file past work_mem: the server's memory stays
-- bounded whatever the window, and the client's too (it fetches in chunks).

-- The admin asking for an export, once the window is one: both ends expressible, end after
-- start, by at most 366 days (elapsed time in UTC, so a clock change makes no difference).
CREATE OR REPLACE FUNCTION parkshare.ps_export_admin(p_start timestamptz, p_end timestamptz)
RETURNS parkshare.users
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
BEGIN
    IF p_start IS NULL OR p_end IS NULL THEN
        PERFORM ps_raise('invalid_window', 'an export needs both start and end');
    END IF;
    IF NOT (ps_is_expressible(p_start) AND ps_is_expressible(p_end)) THEN
        PERFORM ps_raise('invalid_window', 'times lie between the years 2000 and 9998');
    END IF;
    IF p_end <= p_start OR p_end - p_start > interval '366 days' THEN
        PERFORM ps_raise('invalid_window', 'end must follow start, by at most 366 days');
    END IF;
    RETURN v_admin;
END
$$;

-- Admin: the building's reservations whose window overlaps [p_start, p_end), in every status,
-- by start then id. The parker is named (an admin sees who parks where).
CREATE OR REPLACE FUNCTION parkshare.export_reservations(p_start timestamptz, p_end timestamptz)
RETURNS TABLE (id uuid, spot_id uuid, spot text, parker_id uuid, parker text, start text,
               "end" text, status text, cost integer, created_at text, checked_in_at text,
               cancelled_at text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_export_admin(p_start, p_end);
BEGIN
    RETURN QUERY
        SELECT r.id, s.id, s.label, u.id, u.display_name,
               ps_iso(lower(r.period)), ps_iso(upper(r.period)), r.status, r.cost,
               ps_iso(r.created_at), ps_iso(r.checked_in_at), ps_iso(r.cancelled_at)
        FROM reservations r
        JOIN spots s ON s.id = r.spot_id
        JOIN users u ON u.id = r.user_id
        WHERE r.building_id = v_admin.building_id
          AND r.period && tstzrange(p_start, p_end, '[)')
        ORDER BY lower(r.period), r.id;
END
$$;

-- Admin: the building's ledger entries made in [p_start, p_end), oldest first. Each moves
-- `amount` from one account to another: a resident's (named), or the building's escrow or
-- issuance account (no user).
CREATE OR REPLACE FUNCTION parkshare.export_ledger(p_start timestamptz, p_end timestamptz)
RETURNS TABLE (id bigint, created_at text, kind text, amount bigint, from_account text,
               from_user_id uuid, from_user text, to_account text, to_user_id uuid,
               to_user text, reservation_id uuid, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_export_admin(p_start, p_end);
BEGIN
    RETURN QUERY
        SELECT l.id, ps_iso(l.created_at), l.kind, l.amount,
               fa.kind, fu.id, fu.display_name, ta.kind, tu.id, tu.display_name,
               l.reservation_id, l.reason
        FROM ledger_entries l
        JOIN accounts fa ON fa.id = l.from_account
        JOIN accounts ta ON ta.id = l.to_account
        LEFT JOIN users fu ON fu.id = fa.user_id
        LEFT JOIN users tu ON tu.id = ta.user_id
        WHERE l.building_id = v_admin.building_id
          AND l.created_at >= p_start AND l.created_at < p_end
        ORDER BY l.id;
END
$$;

-- Admin: per local calendar day of the building (as admin_utilization counts them) and per
-- spot, the hours of [p_start, p_end) the spot was offered and booked that day, and how many
-- bookings touched the day. Booked means booked or settled, as in admin_utilization; hours
-- are elapsed time, so a day on which the clocks change has 23 or 25 of them. Each offered
-- window and booking is cut at the local midnights it spans (a day or two, mostly) rather
-- than every day and spot searched for them: a year of 500 spots is 183,000 rows.
CREATE OR REPLACE FUNCTION parkshare.export_utilization(p_start timestamptz, p_end timestamptz)
RETURNS TABLE (date text, timezone text, spot_id uuid, spot text, offered_hours numeric,
               booked_hours numeric, bookings integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_export_admin(p_start, p_end);
    v_zone  text;
    v_span  tstzrange := tstzrange(p_start, p_end, '[)');
BEGIN
    SELECT b.timezone INTO STRICT v_zone FROM buildings b WHERE b.id = v_admin.building_id;
    RETURN QUERY
        WITH used AS (
            SELECT true AS offered, a.spot_id, a.period * v_span AS period
            FROM availability a
            WHERE a.building_id = v_admin.building_id AND a.period && v_span
            UNION ALL
            SELECT false, r.spot_id, r.period * v_span
            FROM reservations r
            WHERE r.building_id = v_admin.building_id AND r.status IN ('booked', 'settled')
              AND r.period && v_span
        ),
        parts AS (
            SELECT u.offered, u.spot_id, d::date AS day,
                   u.period * tstzrange((d::date)::timestamp AT TIME ZONE v_zone,
                                        (d::date + 1)::timestamp AT TIME ZONE v_zone, '[)') AS part
            FROM used u
            CROSS JOIN LATERAL generate_series(
                (lower(u.period) AT TIME ZONE v_zone)::date,
                ((upper(u.period) - interval '1 microsecond') AT TIME ZONE v_zone)::date,
                interval '1 day') d
        ),
        totals AS (
            SELECT p.spot_id, p.day,
                   sum(extract(epoch FROM upper(p.part) - lower(p.part)))
                       FILTER (WHERE p.offered) AS offered_seconds,
                   sum(extract(epoch FROM upper(p.part) - lower(p.part)))
                       FILTER (WHERE NOT p.offered) AS booked_seconds,
                   count(*) FILTER (WHERE NOT p.offered) AS bookings
            FROM parts p
            WHERE NOT isempty(p.part)
            GROUP BY p.spot_id, p.day
        )
        SELECT to_char(d::date, 'YYYY-MM-DD'), v_zone, s.id, s.label,
               round(coalesce(t.offered_seconds, 0) / 3600, 2),
               round(coalesce(t.booked_seconds, 0) / 3600, 2),
               coalesce(t.bookings, 0)::integer
        FROM generate_series((p_start AT TIME ZONE v_zone)::date,
                             ((p_end - interval '1 microsecond') AT TIME ZONE v_zone)::date,
                             interval '1 day') d
        CROSS JOIN spots s
        LEFT JOIN totals t ON t.spot_id = s.id AND t.day = d::date
        WHERE s.building_id = v_admin.building_id
        ORDER BY d, s.label, s.id;
END
$$;

GRANT EXECUTE ON FUNCTION
    parkshare.export_reservations(timestamp with time zone, timestamp with time zone),
    parkshare.export_ledger(timestamp with time zone, timestamp with time zone),
    parkshare.export_utilization(timestamp with time zone, timestamp with time zone)
TO parkshare_app;
