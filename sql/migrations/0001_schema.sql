-- The schema: every table with its constraints and indexes, and tenancy. The rules a single
-- row cannot check (triggers) and every procedure are in sql/repeatable/, applied after the
-- numbered migrations; later migrations change what is here (tables, constraints,
-- policies, drops, signature changes), never by copying a function.
--
-- This file is the baseline that 0001-0011 of the first release were squashed into
-- (sql/migrations/squashed.txt); a database migrated before keeps working unchanged.
-- Runs as parkshare_owner (see sql/bootstrap.sql), so that FORCE ROW LEVEL SECURITY binds the
-- owner too and SECURITY DEFINER procedures stay inside the tenant they act for.

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
    -- NULL for a resident who signs in through single sign-on: the provider's email is a
    -- display hint only (kept on the identity), never a way in.
    email         text CONSTRAINT users_email_valid
                      CHECK (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    password_hash text,
    display_name  text NOT NULL CONSTRAINT users_display_name_valid
                      CHECK (length(btrim(display_name)) BETWEEN 1 AND 100),
    role          text NOT NULL DEFAULT 'resident' CHECK (role IN ('resident', 'admin')),
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (building_id, id),
    CONSTRAINT users_sign_in_shape CHECK (password_hash IS NULL OR email IS NOT NULL)
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
    FOREIGN KEY (building_id, used_by) REFERENCES parkshare.users (building_id, id),
    -- An invite may name the address it is for: only that address can then use it.
    email       text CONSTRAINT invites_email_valid
                    CHECK (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$')
);

-- One row per login: the refresh-token family of that login, with what the resident needs
-- to recognise it. Access tokens carry the session id (claim `sid`), and ps_actor refuses a
-- token whose session has ended, so revoking a session takes effect at once, not when its
-- short-lived access token expires.
CREATE TABLE parkshare.sessions (
    id           uuid PRIMARY KEY,
    building_id  uuid NOT NULL,
    user_id      uuid NOT NULL,
    method       text NOT NULL DEFAULT 'password' CHECK (method IN ('password', 'sso')),
    user_agent   text CHECK (length(user_agent) <= 300),
    address      text CHECK (length(address) <= 100),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id)
);
CREATE INDEX sessions_user_idx ON parkshare.sessions (user_id, last_used_at DESC);

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
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id),
    CONSTRAINT refresh_tokens_session_fkey FOREIGN KEY (family_id)
        REFERENCES parkshare.sessions (id)
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
-- One row per announced moment: the primary key is what makes a second announcement (a job
-- run twice, a job and the sweep racing) a no-op.
CREATE TABLE parkshare.reservation_moments (
    building_id    uuid NOT NULL,
    reservation_id uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('started', 'ended')),
    announced_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reservation_id, kind),
    FOREIGN KEY (building_id, reservation_id) REFERENCES parkshare.reservations (building_id, id)
);
-- Who did what, and every refused attempt. building_id is NULL for what names no building
-- (a failed login for an unknown address, a forged token): the operator sees those, no
-- building's admin does.
CREATE TABLE parkshare.audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    building_id uuid REFERENCES parkshare.buildings,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id    uuid,
    action      text NOT NULL CONSTRAINT audit_log_action_valid
                    CHECK (action ~ '^(admin|account|security)\.[a-z_]+$'),
    subject_id  uuid,
    address     text CHECK (length(address) <= 100),
    detail      jsonb NOT NULL DEFAULT '{}' CONSTRAINT audit_log_detail_valid
                    CHECK (jsonb_typeof(detail) = 'object' AND length(detail::text) <= 4000)
);
CREATE INDEX audit_log_building_idx ON parkshare.audit_log (building_id, id DESC);

CREATE TABLE parkshare.building_sso (
    building_id    uuid PRIMARY KEY REFERENCES parkshare.buildings,
    issuer         text NOT NULL CONSTRAINT building_sso_issuer_valid
                       CHECK (length(issuer) <= 500
                              AND issuer ~ '^https?://[^[:space:]/?#]+(/[^[:space:]?#]*)?$'),
    client_id      text NOT NULL CONSTRAINT building_sso_client_id_valid
                       CHECK (length(client_id) BETWEEN 1 AND 500 AND client_id !~ '[[:cntrl:]]'),
    -- Sealed by the functions (AES-GCM, key outside the database, bound to the building):
    -- a dump of the database does not hold the secret.
    client_secret  bytea CONSTRAINT building_sso_client_secret_valid
                       CHECK (length(client_secret) <= 2000),
    -- Optional gates, checked at every sign-in: the provider's (verified) email ends in this
    -- domain; the `groups` claim contains this group.
    email_domain   text CONSTRAINT building_sso_email_domain_valid
                       CHECK (email_domain ~ '^[a-z0-9-]+(\.[a-z0-9-]+)+$'),
    required_group text CONSTRAINT building_sso_required_group_valid
                       CHECK (length(required_group) BETWEEN 1 AND 200),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     uuid
);

CREATE TABLE parkshare.user_identities (
    building_id   uuid NOT NULL,
    issuer        text NOT NULL,
    subject       text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    user_id       uuid NOT NULL,
    email         text CHECK (length(email) <= 254),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (building_id, issuer, subject),
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id)
);
CREATE INDEX user_identities_user_idx ON parkshare.user_identities (user_id);

-- The callback hands the browser a one-time code (in the URL fragment, which never reaches
-- a server log); the app trades it for tokens. Tokens themselves never travel in a URL.
CREATE TABLE parkshare.sso_handoffs (
    code_hash   text PRIMARY KEY,
    building_id uuid NOT NULL,
    user_id     uuid NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id)
);

-- Tenancy: every building-owned table admits only the building of the transaction's context.
-- The owner (that is, SECURITY DEFINER procedures) additionally sees everything when no
-- context is set: the few system procedures (sign-up, settlement cron) rely on it, and every
-- tenant procedure refuses to run without a context (ps_actor).
SELECT parkshare.ps_tenant_table(t) FROM unnest(ARRAY[
    'buildings', 'users', 'accounts', 'spots', 'availability', 'reservations',
    'ledger_entries', 'invites', 'refresh_tokens', 'outbox', 'idempotency_keys',
    'reservation_moments', 'sessions', 'audit_log', 'building_sso', 'user_identities',
    'sso_handoffs']) t;

-- The application role reads through RLS and writes only through procedures.
GRANT SELECT ON parkshare.buildings, parkshare.accounts, parkshare.spots, parkshare.availability,
    parkshare.reservations, parkshare.ledger_entries, parkshare.error_codes,
    parkshare.constraint_errors TO parkshare_app;
GRANT SELECT (id, building_id, email, display_name, role, disabled_at, created_at)
    ON parkshare.users TO parkshare_app;
