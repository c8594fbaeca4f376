-- The parking domain: tables, the constraints that enforce SPEC rules 1-11, and tenancy.
-- Runs as parkshare_owner (see sql/bootstrap.sql), so that FORCE ROW LEVEL SECURITY binds the
-- owner too and SECURITY DEFINER procedures stay inside the tenant they act for.

-- Functions are granted one by one to the application role. (Only the role-wide form
-- revokes PUBLIC's default EXECUTE; a per-schema default can add privileges, not remove them.)
ALTER DEFAULT PRIVILEGES FOR ROLE parkshare_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- The tenant context of the current transaction, set with set_config(..., true) by
-- shared/parkshare/db.py. An unset or reset setting reads as '' and so as NULL.
CREATE FUNCTION parkshare.ps_building() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('parkshare.building_id', true), '')::uuid $$;

CREATE FUNCTION parkshare.ps_user() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('parkshare.user_id', true), '')::uuid $$;

CREATE FUNCTION parkshare.ps_is_time_zone(p_name text) RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = p_name) $$;

-- Local-calendar arithmetic in the building's zone: adding "one day" across a daylight saving
-- change must land on the same wall-clock time, whatever the session's TimeZone is.
CREATE FUNCTION parkshare.ps_local_add_days(p_at timestamptz, p_days integer, p_zone text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ((p_at AT TIME ZONE p_zone) + make_interval(days => p_days)) AT TIME ZONE p_zone $$;

-- [day from_time, day to_time) in local time; a to_time at or before from_time means the next day.
CREATE FUNCTION parkshare.ps_local_window(p_zone text, p_day date, p_from time, p_to time)
RETURNS tstzrange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT tstzrange(
        (p_day + p_from) AT TIME ZONE p_zone,
        (p_day + (CASE WHEN p_to <= p_from THEN 1 ELSE 0 END) + p_to) AT TIME ZONE p_zone,
        '[)')
$$;

-- RFC 3339 in UTC, the form every answer and event uses.
CREATE FUNCTION parkshare.ps_iso(p_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN date_part('microseconds', p_at)::bigint % 1000000 = 0 THEN ''
                ELSE to_char(p_at AT TIME ZONE 'UTC', '.US') END
        || 'Z'
$$;

-- The error vocabulary procedures raise (rows come from sql/repeatable/errors.sql).
CREATE TABLE parkshare.error_codes (
    sqlstate text PRIMARY KEY CHECK (sqlstate ~ '^PS[0-9A-Z]{3}$'),
    code     text NOT NULL UNIQUE CHECK (code ~ '^[a-z_]+$'),
    status   integer NOT NULL CHECK (status BETWEEN 400 AND 599),
    title    text NOT NULL
);

CREATE TABLE parkshare.constraint_errors (
    constraint_name text PRIMARY KEY,
    code            text NOT NULL
);

CREATE FUNCTION parkshare.ps_raise(p_code text, p_detail text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_state text;
BEGIN
    SELECT sqlstate INTO v_state FROM parkshare.error_codes WHERE code = p_code;
    IF v_state IS NULL THEN
        RAISE EXCEPTION 'unknown error code %', p_code;
    END IF;
    RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = p_detail, HINT = p_code;
END
$$;

CREATE TABLE parkshare.buildings (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CONSTRAINT buildings_name_valid
                         CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    timezone         text NOT NULL CONSTRAINT buildings_timezone_valid
                         CHECK (parkshare.ps_is_time_zone(timezone)),
    -- The policy (SPEC rules 5-7). Units last in prose; names as the public contract has them.
    cost             integer NOT NULL DEFAULT 3 CONSTRAINT buildings_cost_valid
                         CHECK (cost BETWEEN 0 AND 1000000),
    starting_credits integer NOT NULL DEFAULT 50 CONSTRAINT buildings_starting_credits_valid
                         CHECK (starting_credits BETWEEN 0 AND 1000000),
    max_hours        integer NOT NULL DEFAULT 24 CONSTRAINT buildings_max_hours_valid
                         CHECK (max_hours BETWEEN 1 AND 744),
    horizon_days     integer NOT NULL DEFAULT 30 CONSTRAINT buildings_horizon_days_valid
                         CHECK (horizon_days BETWEEN 1 AND 400),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE parkshare.users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    building_id   uuid NOT NULL REFERENCES parkshare.buildings,
    email         text NOT NULL CONSTRAINT users_email_valid
                      CHECK (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    password_hash text,
    display_name  text NOT NULL CONSTRAINT users_display_name_valid
                      CHECK (length(btrim(display_name)) BETWEEN 1 AND 100),
    role          text NOT NULL DEFAULT 'resident' CHECK (role IN ('resident', 'admin')),
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (building_id, id)
);
-- Login is by email alone, so an address names one user across all buildings.
CREATE UNIQUE INDEX users_email_key ON parkshare.users (lower(email));

-- One account per user, plus each building's escrow and issuance accounts. Only user accounts
-- carry a cached balance (kept by the ledger trigger, checked >= 0): escrow and issuance are
-- derived from the entries so that concurrent bookings do not queue on one hot row.
CREATE TABLE parkshare.accounts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    building_id uuid NOT NULL REFERENCES parkshare.buildings,
    kind        text NOT NULL CHECK (kind IN ('user', 'escrow', 'issuance')),
    user_id     uuid,
    balance     bigint,
    UNIQUE (building_id, id),
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id),
    CONSTRAINT accounts_kind_shape CHECK (
        (kind = 'user') = (user_id IS NOT NULL) AND (kind = 'user') = (balance IS NOT NULL)),
    CONSTRAINT accounts_balance_nonnegative CHECK (balance >= 0)
);
CREATE UNIQUE INDEX accounts_user_key ON parkshare.accounts (user_id) WHERE kind = 'user';
CREATE UNIQUE INDEX accounts_building_kind_key ON parkshare.accounts (building_id, kind)
    WHERE kind <> 'user';

CREATE TABLE parkshare.spots (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    building_id uuid NOT NULL REFERENCES parkshare.buildings,
    owner_id    uuid NOT NULL,
    label       text NOT NULL CONSTRAINT spots_label_valid
                    CHECK (label ~ '^[^[:space:]]([^[:cntrl:]]{0,30}[^[:space:]])?$'),
    location    text CONSTRAINT spots_location_valid CHECK (length(location) <= 200),
    notes       text CONSTRAINT spots_notes_valid CHECK (length(notes) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (building_id, owner_id) REFERENCES parkshare.users (building_id, id),
    UNIQUE (building_id, id),
    UNIQUE (building_id, id, owner_id)
);
CREATE UNIQUE INDEX spots_label_key ON parkshare.spots (building_id, upper(label));
CREATE INDEX spots_owner_idx ON parkshare.spots (owner_id);

-- Windows [start, end) in which the owner offers the spot. The closed-range exclusion makes
-- overlapping *or touching* windows impossible: set_availability merges them instead.
CREATE TABLE parkshare.availability (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    building_id uuid NOT NULL,
    spot_id     uuid NOT NULL,
    period      tstzrange NOT NULL,
    FOREIGN KEY (building_id, spot_id) REFERENCES parkshare.spots (building_id, id),
    CONSTRAINT availability_period_valid CHECK (
        NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period)
        AND NOT lower_inf(period) AND NOT upper_inf(period)),
    CONSTRAINT availability_merged EXCLUDE USING gist (
        spot_id WITH =, tstzrange(lower(period), upper(period), '[]') WITH &&)
);

CREATE TABLE parkshare.reservations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    building_id  uuid NOT NULL,
    spot_id      uuid NOT NULL,
    -- Copied from the spot so that rule 4 is a plain CHECK; the foreign key keeps it true.
    owner_id     uuid NOT NULL,
    user_id      uuid NOT NULL,
    period       tstzrange NOT NULL,
    status       text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'settled')),
    cost         integer NOT NULL CHECK (cost >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz,
    cancelled_by uuid,
    settled_at   timestamptz,
    UNIQUE (building_id, id),
    FOREIGN KEY (building_id, spot_id, owner_id)
        REFERENCES parkshare.spots (building_id, id, owner_id),
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id),
    -- Rule 5 (end > start, a finite half-open window).
    CONSTRAINT reservations_period_valid CHECK (
        NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period)
        AND NOT lower_inf(period) AND NOT upper_inf(period)),
    -- Rule 4.
    CONSTRAINT reservations_not_own_spot CHECK (user_id <> owner_id),
    -- Rule 1. Created before rule 2's so that a double booking reports the spot first.
    CONSTRAINT reservations_spot_free EXCLUDE USING gist (spot_id WITH =, period WITH &&)
        WHERE (status IN ('booked', 'settled')),
    -- Rule 2.
    CONSTRAINT reservations_user_free EXCLUDE USING gist (user_id WITH =, period WITH &&)
        WHERE (status = 'booked')
);
CREATE INDEX reservations_user_upcoming_idx ON parkshare.reservations (user_id, upper(period))
    WHERE status = 'booked';
CREATE INDEX reservations_due_idx ON parkshare.reservations (upper(period))
    WHERE status = 'booked';
CREATE INDEX reservations_user_idx ON parkshare.reservations (user_id, lower(period) DESC);

-- Append-only double entry: every entry moves `amount` from one account to another, so the sum
-- over all accounts of a building is zero by construction and rule 11 cannot drift.
CREATE TABLE parkshare.ledger_entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    building_id    uuid NOT NULL,
    from_account   uuid NOT NULL,
    to_account     uuid NOT NULL,
    amount         bigint NOT NULL CHECK (amount > 0),
    kind           text NOT NULL CHECK (kind IN ('grant', 'adjustment', 'hold', 'refund', 'payout')),
    reservation_id uuid,
    reason         text CHECK (length(reason) <= 500),
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (building_id, from_account) REFERENCES parkshare.accounts (building_id, id),
    FOREIGN KEY (building_id, to_account) REFERENCES parkshare.accounts (building_id, id),
    FOREIGN KEY (building_id, reservation_id) REFERENCES parkshare.reservations (building_id, id),
    CHECK (from_account <> to_account),
    CONSTRAINT ledger_reservation_kinds CHECK (
        (kind IN ('hold', 'refund', 'payout')) = (reservation_id IS NOT NULL))
);
-- Rules 8-9: a reservation's cost is held once and leaves escrow once (refund or payout).
CREATE UNIQUE INDEX ledger_one_hold_key ON parkshare.ledger_entries (reservation_id)
    WHERE kind = 'hold';
CREATE UNIQUE INDEX ledger_one_release_key ON parkshare.ledger_entries (reservation_id)
    WHERE kind IN ('refund', 'payout');
CREATE INDEX ledger_from_idx ON parkshare.ledger_entries (from_account, id);
CREATE INDEX ledger_to_idx ON parkshare.ledger_entries (to_account, id);

CREATE TABLE parkshare.invites (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    building_id uuid NOT NULL REFERENCES parkshare.buildings,
    code_hash   text NOT NULL UNIQUE,
    role        text NOT NULL DEFAULT 'resident' CHECK (role IN ('resident', 'admin')),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    used_by     uuid,
    FOREIGN KEY (building_id, created_by) REFERENCES parkshare.users (building_id, id),
    FOREIGN KEY (building_id, used_by) REFERENCES parkshare.users (building_id, id)
);

-- Opaque refresh tokens, stored as hashes; a family is one login's chain of rotations.
CREATE TABLE parkshare.refresh_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    building_id uuid NOT NULL,
    user_id     uuid NOT NULL,
    family_id   uuid NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id)
);
CREATE INDEX refresh_tokens_family_idx ON parkshare.refresh_tokens (family_id);

-- Events committed with the change that caused them; published to Redis after commit.
CREATE TABLE parkshare.outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    building_id  uuid NOT NULL REFERENCES parkshare.buildings,
    user_id      uuid,
    type         text NOT NULL CHECK (type ~ '^[a-z]+\.[a-z_]+$'),
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz,
    stream_id    text
);
CREATE INDEX outbox_unpublished_idx ON parkshare.outbox (id) WHERE published_at IS NULL;

-- Tenancy: every building-owned table admits only the building of the transaction's context.
-- The owner (that is, SECURITY DEFINER procedures) additionally sees everything when no
-- context is set: the few system procedures (sign-up, settlement cron) rely on it, and every
-- tenant procedure refuses to run without a context (ps_actor).
DO $$
DECLARE
    v_table text;
    v_column text;
BEGIN
    FOR v_table, v_column IN VALUES
        ('buildings', 'id'), ('users', 'building_id'), ('accounts', 'building_id'),
        ('spots', 'building_id'), ('availability', 'building_id'),
        ('reservations', 'building_id'), ('ledger_entries', 'building_id'),
        ('invites', 'building_id'), ('refresh_tokens', 'building_id'),
        ('outbox', 'building_id')
    LOOP
        EXECUTE format('ALTER TABLE parkshare.%I ENABLE ROW LEVEL SECURITY', v_table);
        EXECUTE format('ALTER TABLE parkshare.%I FORCE ROW LEVEL SECURITY', v_table);
        EXECUTE format(
            'CREATE POLICY tenant ON parkshare.%1$I USING (%2$I = (SELECT parkshare.ps_building()))'
            ' WITH CHECK (%2$I = (SELECT parkshare.ps_building()))', v_table, v_column);
        EXECUTE format(
            'CREATE POLICY system ON parkshare.%I TO parkshare_owner'
            ' USING ((SELECT parkshare.ps_building()) IS NULL)'
            ' WITH CHECK ((SELECT parkshare.ps_building()) IS NULL)', v_table);
    END LOOP;
END
$$;

-- The application role reads through RLS and writes only through procedures.
GRANT EXECUTE ON FUNCTION parkshare.ps_building(), parkshare.ps_user(),
    parkshare.ps_iso(timestamptz), parkshare.ps_local_add_days(timestamptz, integer, text),
    parkshare.ps_local_window(text, date, time, time) TO parkshare_app;
GRANT SELECT ON parkshare.buildings, parkshare.accounts, parkshare.spots, parkshare.availability,
    parkshare.reservations, parkshare.ledger_entries, parkshare.error_codes,
    parkshare.constraint_errors TO parkshare_app;
GRANT SELECT (id, building_id, email, display_name, role, disabled_at, created_at)
    ON parkshare.users TO parkshare_app;
