-- The tenant context and the pure helpers the schema itself is built with (policies, checks,
-- index expressions): applied before the numbered migrations, so they depend on no table.
-- Everything else in this folder is applied after the migrations.

-- Functions are granted one by one to the application role. (Only the role-wide form
-- revokes PUBLIC's default EXECUTE; a per-schema default can add privileges, not remove them.)
ALTER DEFAULT PRIVILEGES FOR ROLE parkshare_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- The tenant context of the current transaction, set with set_config(..., true) by
-- shared/parkshare/store/db.py. An unset or reset setting reads as '' and so as NULL.
CREATE OR REPLACE FUNCTION parkshare.ps_building() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('parkshare.building_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION parkshare.ps_user() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('parkshare.user_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION parkshare.ps_is_time_zone(p_name text) RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = p_name) $$;

-- Local-calendar arithmetic in the building's zone: adding "one day" across a daylight saving
-- change must land on the same wall-clock time, whatever the session's TimeZone is.
CREATE OR REPLACE FUNCTION parkshare.ps_local_add_days(p_at timestamptz, p_days integer, p_zone text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ((p_at AT TIME ZONE p_zone) + make_interval(days => p_days)) AT TIME ZONE p_zone $$;

-- [day from_time, day to_time) in local time; a to_time at or before from_time means the next day.
CREATE OR REPLACE FUNCTION parkshare.ps_local_window(p_zone text, p_day date, p_from time, p_to time)
RETURNS tstzrange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT tstzrange(
        (p_day + p_from) AT TIME ZONE p_zone,
        (p_day + (CASE WHEN p_to <= p_from THEN 1 ELSE 0 END) + p_to) AT TIME ZONE p_zone,
        '[)')
$$;

-- RFC 3339 in UTC, the form every answer and event uses.
CREATE OR REPLACE FUNCTION parkshare.ps_iso(p_at timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    -- One to_char, the fraction only when there is one (a quarter of the cost of two calls
    -- and date_part: the garage view formats a few thousand instants). STABLE as to_char is,
    -- so the planner inlines it: declared IMMUTABLE it was a function call each time, five
    -- times the cost of the expression.
    SELECT to_char(p_at AT TIME ZONE 'UTC',
                   CASE WHEN p_at = date_trunc('second', p_at) THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
                        ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)
$$;

-- Tenancy for a building-owned table, the one way every table gets it: row-level security
-- enabled and forced, the tenant policy (the building of the transaction's context), and the
-- owner's system policy (no context: what SECURITY DEFINER system procedures see). The
-- buildings table is the tenant itself. (Owner-only: migrations call it.)
CREATE OR REPLACE FUNCTION parkshare.ps_tenant_table(p_table text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_column text := CASE WHEN p_table = 'buildings' THEN 'id' ELSE 'building_id' END;
BEGIN
    EXECUTE format('ALTER TABLE parkshare.%I ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE parkshare.%I FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE format(
        'CREATE POLICY tenant ON parkshare.%1$I USING (%2$I = (SELECT parkshare.ps_building()))'
        ' WITH CHECK (%2$I = (SELECT parkshare.ps_building()))', p_table, v_column);
    EXECUTE format(
        'CREATE POLICY system ON parkshare.%I TO parkshare_owner'
        ' USING ((SELECT parkshare.ps_building()) IS NULL)'
        ' WITH CHECK ((SELECT parkshare.ps_building()) IS NULL)', p_table);
END
$$;

CREATE OR REPLACE FUNCTION parkshare.ps_session() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('parkshare.session_id', true), '')::uuid $$;

GRANT EXECUTE ON FUNCTION
    parkshare.ps_building(),
    parkshare.ps_user(),
    parkshare.ps_local_add_days(timestamp with time zone, integer, text),
    parkshare.ps_local_window(text, date, time without time zone, time without time zone),
    parkshare.ps_iso(timestamp with time zone),
    parkshare.ps_session()
TO parkshare_app;

-- Characters nobody sees or that reorder what is shown around them: controls (C0, DEL, C1;
-- with p_lines, tab and line breaks are allowed), format characters (bidi overrides and
-- isolates, zero-width spaces and joiners, the word joiner, the byte-order mark, the soft
-- hyphen, Unicode's other Cf), and the line and paragraph separators. Text a person reads
-- as a name or label carries none: `PRB-1` and `PRB<U+200B>-1` must not coexist.
CREATE OR REPLACE FUNCTION parkshare.ps_invisible(p_lines boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT '['
        || CASE WHEN p_lines THEN '\u0001-\u0008\u000B\u000C\u000E-\u001F' ELSE '\u0001-\u001F' END
        || '\u007F-\u009F\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u180E'
        || '\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB'
        || '\U000110BD\U000110CD\U00013430-\U0001343F\U0001BCA0-\U0001BCA3'
        || '\U0001D173-\U0001D17A\U000E0001\U000E0020-\U000E007F]'
$$;

CREATE OR REPLACE FUNCTION parkshare.ps_is_plain(p_text text, p_lines boolean DEFAULT false)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT p_text !~ parkshare.ps_invisible(p_lines) $$;

-- What two labels of one building must differ in: compatibility forms folded (full-width
-- `Ｂ２` is `B2`), case ignored.
CREATE OR REPLACE FUNCTION parkshare.ps_label_key(p_label text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT upper(normalize(p_label, NFKC)) $$;

-- One email address however it is written (composed or decomposed accents, any case), the
-- one normalisation wherever an address is compared: sign-up's uniqueness, login, an
-- invite's address and the per-account login limit (which asks for ps_email_digest).
CREATE OR REPLACE FUNCTION parkshare.ps_email_key(p_email text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT lower(normalize(p_email, NFC)) $$;

-- The instants every answer can express: RFC 3339 has four-digit years, and no stored
-- window reaches the year 10000 in UTC, or predates the service.
CREATE OR REPLACE FUNCTION parkshare.ps_is_expressible(p_at timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT p_at >= '2000-01-01 00:00:00+00' AND p_at < '9999-01-01 00:00:00+00' $$;

GRANT EXECUTE ON FUNCTION parkshare.ps_email_key(text) TO parkshare_app;

-- The kinds of notification (sql/repeatable/notifications.sql), for the checks of the
-- notifications and of the email choices a resident keeps.
CREATE OR REPLACE FUNCTION parkshare.ps_notification_kinds() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY['booking.confirmed', 'spot.booked', 'booking.cancelled', 'booking.starts_soon',
                 'booking.ends_soon', 'credits.earned', 'request.matched',
                 'reservation.no_show']
$$;

-- A resident's email choices: an object of known kinds, each true or false.
CREATE OR REPLACE FUNCTION parkshare.ps_email_choices_valid(p_email jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT jsonb_typeof(p_email) = 'object'
       AND p_email - parkshare.ps_notification_kinds() = '{}'::jsonb
       AND NOT jsonb_path_exists(p_email, '$.* ? (@.type() != "boolean")')
$$;

-- The events a webhook may subscribe to (sql/repeatable/webhooks.sql): the building-wide
-- ones of the live stream. credits.changed and notification.created are one resident's own.
CREATE OR REPLACE FUNCTION parkshare.ps_webhook_event_types() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY['spot.updated', 'availability.changed', 'reservation.created',
                 'reservation.cancelled', 'reservation.started', 'reservation.ended',
                 'reservation.settled', 'reservation.checked_in', 'reservation.no_show']
$$;

-- A webhook's URL as far as its text can tell: https:// to a host name or an IP literal, or
-- plain http:// to a loopback literal (allowed only when the deployment allows loopback,
-- which Python knows). No user info (`user@`), no fragment, no white space. Whether the host
-- resolves to a public address needs DNS, so that check is Python's
-- (parkshare.notify.addresses), at creation and before every delivery.
CREATE OR REPLACE FUNCTION parkshare.ps_webhook_url_valid(p_url text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT length(p_url) <= 2000 AND (
        p_url ~* ('^https://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*'
                  '|\[[0-9a-f:.]+\])(:[0-9]{1,5})?([/?][^[:space:]#]*)?$')
        OR p_url ~* ('^http://(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]{1,5})?'
                     '([/?][^[:space:]#]*)?$'))
$$;

-- How long a webhook's event is tried, from its publication; the outbox keeps what a webhook
-- has not passed yet this long at most (sql/repeatable/webhooks.sql, live.sql's prune).
CREATE OR REPLACE FUNCTION parkshare.ps_webhook_retry_window() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT interval '24 hours' $$;
