-- Admin: how the garage is used, per local calendar day of the building and per spot, over
-- [p_start, p_end) (default: the last seven local days up to now). Hours are elapsed time, so
-- a day on which the clocks change has 23 or 25 of them. Booked means booked or settled (a
-- cancelled booking used nothing); available means offered by the spot's owner.
CREATE FUNCTION parkshare.admin_utilization(p_start timestamptz, p_end timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_admin users := ps_admin();
    v_zone  text;
    v_start timestamptz;
    v_end   timestamptz;
    v_span  tstzrange;
BEGIN
    SELECT b.timezone INTO STRICT v_zone FROM buildings b WHERE b.id = v_admin.building_id;
    v_end := coalesce(p_end, now());
    v_start := coalesce(p_start,
        ((((v_end AT TIME ZONE v_zone)::date - 6)::timestamp) AT TIME ZONE v_zone));
    IF v_end <= v_start OR v_end - v_start > interval '93 days' THEN
        PERFORM ps_raise('invalid_window', 'end must follow start, by at most 93 days');
    END IF;
    v_span := tstzrange(v_start, v_end, '[)');

    RETURN jsonb_build_object(
        'start', ps_iso(v_start),
        'end', ps_iso(v_end),
        'timezone', v_zone,
        'days', (
            WITH days AS (
                SELECT d::date AS day,
                       tstzrange((d::date)::timestamp AT TIME ZONE v_zone,
                                 (d::date + 1)::timestamp AT TIME ZONE v_zone, '[)')
                           * v_span AS period
                FROM generate_series((v_start AT TIME ZONE v_zone)::date,
                                     ((v_end - interval '1 microsecond') AT TIME ZONE v_zone)::date,
                                     interval '1 day') d
            )
            SELECT jsonb_agg(jsonb_build_object(
                       'date', to_char(d.day, 'YYYY-MM-DD'),
                       'available_hours', ps_hours_within(d.period, 'availability'),
                       'booked_hours', ps_hours_within(d.period, 'reservations'))
                   ORDER BY d.day)
            FROM days d),
        'spots', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'spot_id', s.id, 'label', s.label,
                       'available_hours', ps_hours_within(v_span, 'availability', s.id),
                       'booked_hours', ps_hours_within(v_span, 'reservations', s.id))
                   ORDER BY s.label)
            FROM spots s
            WHERE s.building_id = v_admin.building_id), '[]'::jsonb));
END
$$;

-- Hours of `p_kind` ('availability' or booked/settled 'reservations') of the current
-- building (one spot, or all) that fall inside `p_period`, rounded to hundredths.
CREATE FUNCTION parkshare.ps_hours_within(p_period tstzrange, p_kind text, p_spot uuid DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE SET search_path = parkshare, pg_temp
AS $$
    SELECT round(coalesce(sum(extract(epoch FROM upper(x.p * p_period) - lower(x.p * p_period))),
                          0) / 3600, 2)
    FROM (
        SELECT a.period AS p FROM availability a
        WHERE p_kind = 'availability' AND a.building_id = ps_building()
          AND (p_spot IS NULL OR a.spot_id = p_spot) AND a.period && p_period
        UNION ALL
        SELECT r.period FROM reservations r
        WHERE p_kind = 'reservations' AND r.building_id = ps_building()
          AND r.status IN ('booked', 'settled')
          AND (p_spot IS NULL OR r.spot_id = p_spot) AND r.period && p_period
    ) x
$$;

GRANT EXECUTE ON FUNCTION parkshare.admin_utilization(timestamptz, timestamptz) TO parkshare_app;
