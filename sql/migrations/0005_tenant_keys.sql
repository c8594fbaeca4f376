-- Ready for sharding by building (docs/scaling.md, "Sharding by building with Citus"): every
-- primary key, unique constraint, unique index and exclusion constraint of a building-owned
-- table includes building_id, and every foreign key between two building-owned tables
-- includes it on both sides (tests/sql/test_sharding_ready.py keeps it so). Citus enforces a
-- unique or exclusion constraint of a distributed table only when it includes the
-- distribution column, and a foreign key only between co-located tables on it.
--
-- What each key guards is unchanged: an id is a random uuid (or a building's own sequence
-- number), and a spot, a user or a reservation belongs to one building, so (building_id, x)
-- is unique exactly when x is. Two tables are not distributed and keep keys of their own:
-- audit_log (it holds operator-only events of no building) and login_emails (the directory
-- of sign-in addresses, global on purpose), both created or kept below.
--
-- Foreign keys that referenced a unique (building_id, id) now reference the primary key on
-- the same columns (so no table holds two identical unique indexes); they are dropped and
-- made again with their names and behaviour (NO ACTION, not deferrable) unchanged.

-- 1. The foreign keys whose referenced key changes.
ALTER TABLE parkshare.accounts DROP CONSTRAINT accounts_building_id_user_id_fkey;
ALTER TABLE parkshare.spots DROP CONSTRAINT spots_building_id_owner_id_fkey;
ALTER TABLE parkshare.availability DROP CONSTRAINT availability_building_id_spot_id_fkey;
ALTER TABLE parkshare.reservations DROP CONSTRAINT reservations_building_id_user_id_fkey;
ALTER TABLE parkshare.ledger_entries
    DROP CONSTRAINT ledger_entries_building_id_from_account_fkey,
    DROP CONSTRAINT ledger_entries_building_id_to_account_fkey,
    DROP CONSTRAINT ledger_entries_building_id_reservation_id_fkey;
ALTER TABLE parkshare.invites
    DROP CONSTRAINT invites_building_id_created_by_fkey,
    DROP CONSTRAINT invites_building_id_used_by_fkey;
ALTER TABLE parkshare.sessions DROP CONSTRAINT sessions_building_id_user_id_fkey;
ALTER TABLE parkshare.refresh_tokens
    DROP CONSTRAINT refresh_tokens_building_id_user_id_fkey,
    DROP CONSTRAINT refresh_tokens_session_fkey;
ALTER TABLE parkshare.idempotency_keys DROP CONSTRAINT idempotency_keys_building_id_user_id_fkey;
ALTER TABLE parkshare.reservation_moments
    DROP CONSTRAINT reservation_moments_building_id_reservation_id_fkey;
ALTER TABLE parkshare.user_identities DROP CONSTRAINT user_identities_building_id_user_id_fkey;
ALTER TABLE parkshare.sso_handoffs DROP CONSTRAINT sso_handoffs_building_id_user_id_fkey;

-- 2. Primary keys on (building_id, ...). Where a unique (building_id, id) existed it becomes
-- the primary key; the old key on id alone becomes a plain index, because the procedures
-- (SECURITY DEFINER, as the owner, whose system policy ORs "no context" into the tenant
-- policy) and the worker's jobs (reservation_started/_ended, no tenant context) find these
-- rows by id alone.
ALTER TABLE parkshare.users
    DROP CONSTRAINT users_building_id_id_key,
    DROP CONSTRAINT users_pkey,
    ADD CONSTRAINT users_pkey PRIMARY KEY (building_id, id);
CREATE INDEX users_id_idx ON parkshare.users (id);

ALTER TABLE parkshare.accounts
    DROP CONSTRAINT accounts_building_id_id_key,
    DROP CONSTRAINT accounts_pkey,
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (building_id, id);
CREATE INDEX accounts_id_idx ON parkshare.accounts (id);

-- spots_building_id_id_owner_id_key (building_id, id, owner_id) stays: reservations copy the
-- owner through it (rule 4).
ALTER TABLE parkshare.spots
    DROP CONSTRAINT spots_building_id_id_key,
    DROP CONSTRAINT spots_pkey,
    ADD CONSTRAINT spots_pkey PRIMARY KEY (building_id, id);
CREATE INDEX spots_id_idx ON parkshare.spots (id);

ALTER TABLE parkshare.reservations
    DROP CONSTRAINT reservations_building_id_id_key,
    DROP CONSTRAINT reservations_pkey,
    ADD CONSTRAINT reservations_pkey PRIMARY KEY (building_id, id);
CREATE INDEX reservations_id_idx ON parkshare.reservations (id);

-- Found by id only together with their building (the procedures say which), or not by id.
ALTER TABLE parkshare.availability
    DROP CONSTRAINT availability_pkey,
    ADD CONSTRAINT availability_pkey PRIMARY KEY (building_id, id);
ALTER TABLE parkshare.ledger_entries
    DROP CONSTRAINT ledger_entries_pkey,
    ADD CONSTRAINT ledger_entries_pkey PRIMARY KEY (building_id, id);
-- The publisher marks rows published by id alone: outbox_unpublished_idx (id) serves that.
ALTER TABLE parkshare.outbox
    DROP CONSTRAINT outbox_pkey,
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (building_id, id);
-- ps_enter checks a session by (building_id, id, user): the primary key serves it.
ALTER TABLE parkshare.sessions
    DROP CONSTRAINT sessions_pkey,
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (building_id, id);

-- Secrets presented before any tenant context exists (an invite code at sign-up, a refresh
-- token, a single sign-on code) are found by their hash alone: a plain index. Their
-- uniqueness across buildings is not a constraint any more: Citus could not enforce it
-- across shards, and it never needed enforcing: each is the SHA-256 of a random secret (an
-- invite code has 144 bits, a refresh token and a sign-in code 256; functions/admin and
-- functions/auth draw them), and two of them colliding is not a practical concern.
ALTER TABLE parkshare.invites
    DROP CONSTRAINT invites_code_hash_key,
    DROP CONSTRAINT invites_pkey,
    ADD CONSTRAINT invites_pkey PRIMARY KEY (building_id, id);
CREATE INDEX invites_code_hash_idx ON parkshare.invites (code_hash);

ALTER TABLE parkshare.refresh_tokens
    DROP CONSTRAINT refresh_tokens_token_hash_key,
    DROP CONSTRAINT refresh_tokens_pkey,
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (building_id, id);
CREATE INDEX refresh_tokens_token_hash_idx ON parkshare.refresh_tokens (token_hash);

ALTER TABLE parkshare.sso_handoffs
    DROP CONSTRAINT sso_handoffs_pkey,
    ADD CONSTRAINT sso_handoffs_pkey PRIMARY KEY (building_id, code_hash);
CREATE INDEX sso_handoffs_code_hash_idx ON parkshare.sso_handoffs (code_hash);

-- A user's key names their building; a reservation's moment too (ps_announce's ON CONFLICT).
ALTER TABLE parkshare.idempotency_keys
    DROP CONSTRAINT idempotency_keys_pkey,
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (building_id, user_id, key);
ALTER TABLE parkshare.reservation_moments
    DROP CONSTRAINT reservation_moments_pkey,
    ADD CONSTRAINT reservation_moments_pkey PRIMARY KEY (building_id, reservation_id, kind);

-- 3. Unique indexes: one account per user, rules 8-9's one hold and one release per
-- reservation, each within its building.
DROP INDEX parkshare.accounts_user_key;
CREATE UNIQUE INDEX accounts_user_key ON parkshare.accounts (building_id, user_id)
    WHERE kind = 'user';
DROP INDEX parkshare.ledger_one_hold_key;
CREATE UNIQUE INDEX ledger_one_hold_key ON parkshare.ledger_entries (building_id, reservation_id)
    WHERE kind = 'hold';
DROP INDEX parkshare.ledger_one_release_key;
CREATE UNIQUE INDEX ledger_one_release_key ON parkshare.ledger_entries
    (building_id, reservation_id) WHERE kind IN ('refund', 'payout');

-- 4. Exclusion constraints, with their names (sql/repeatable/errors.sql maps them), the
-- building first. Rule 1's is made before rule 2's again, so that a double booking still
-- reports the spot first (indexes are checked in the order they were made).
ALTER TABLE parkshare.availability
    DROP CONSTRAINT availability_merged,
    ADD CONSTRAINT availability_merged EXCLUDE USING gist (
        building_id WITH =, spot_id WITH =,
        tstzrange(lower(period), upper(period), '[]') WITH &&);
ALTER TABLE parkshare.reservations
    DROP CONSTRAINT reservations_user_free,
    DROP CONSTRAINT reservations_spot_free;
ALTER TABLE parkshare.reservations
    ADD CONSTRAINT reservations_spot_free EXCLUDE USING gist (
        building_id WITH =, spot_id WITH =, period WITH &&)
        WHERE (status IN ('booked', 'settled'));
ALTER TABLE parkshare.reservations
    ADD CONSTRAINT reservations_user_free EXCLUDE USING gist (
        building_id WITH =, user_id WITH =, period WITH &&)
        WHERE (status = 'booked');

-- 5. The foreign keys again, onto the primary keys, under their names.
ALTER TABLE parkshare.accounts ADD CONSTRAINT accounts_building_id_user_id_fkey
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id);
ALTER TABLE parkshare.spots ADD CONSTRAINT spots_building_id_owner_id_fkey
    FOREIGN KEY (building_id, owner_id) REFERENCES parkshare.users (building_id, id);
ALTER TABLE parkshare.availability ADD CONSTRAINT availability_building_id_spot_id_fkey
    FOREIGN KEY (building_id, spot_id) REFERENCES parkshare.spots (building_id, id);
ALTER TABLE parkshare.reservations ADD CONSTRAINT reservations_building_id_user_id_fkey
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id);
ALTER TABLE parkshare.ledger_entries
    ADD CONSTRAINT ledger_entries_building_id_from_account_fkey
        FOREIGN KEY (building_id, from_account) REFERENCES parkshare.accounts (building_id, id),
    ADD CONSTRAINT ledger_entries_building_id_to_account_fkey
        FOREIGN KEY (building_id, to_account) REFERENCES parkshare.accounts (building_id, id),
    ADD CONSTRAINT ledger_entries_building_id_reservation_id_fkey
        FOREIGN KEY (building_id, reservation_id)
        REFERENCES parkshare.reservations (building_id, id);
ALTER TABLE parkshare.invites
    ADD CONSTRAINT invites_building_id_created_by_fkey
        FOREIGN KEY (building_id, created_by) REFERENCES parkshare.users (building_id, id),
    ADD CONSTRAINT invites_building_id_used_by_fkey
        FOREIGN KEY (building_id, used_by) REFERENCES parkshare.users (building_id, id);
ALTER TABLE parkshare.sessions ADD CONSTRAINT sessions_building_id_user_id_fkey
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id);
-- A refresh token's family is a session of its own building.
ALTER TABLE parkshare.refresh_tokens
    ADD CONSTRAINT refresh_tokens_building_id_user_id_fkey
        FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id),
    ADD CONSTRAINT refresh_tokens_session_fkey
        FOREIGN KEY (building_id, family_id) REFERENCES parkshare.sessions (building_id, id);
ALTER TABLE parkshare.idempotency_keys ADD CONSTRAINT idempotency_keys_building_id_user_id_fkey
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id);
ALTER TABLE parkshare.reservation_moments
    ADD CONSTRAINT reservation_moments_building_id_reservation_id_fkey
    FOREIGN KEY (building_id, reservation_id) REFERENCES parkshare.reservations (building_id, id);
ALTER TABLE parkshare.user_identities ADD CONSTRAINT user_identities_building_id_user_id_fkey
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id);
ALTER TABLE parkshare.sso_handoffs ADD CONSTRAINT sso_handoffs_building_id_user_id_fkey
    FOREIGN KEY (building_id, user_id) REFERENCES parkshare.users (building_id, id);

-- 6. Sign-in addresses. Login is by email alone, so an address names one user across all
-- buildings: that uniqueness moves out of users (a distributed table could not enforce it)
-- into a directory that is not building-owned (in Citus a reference table). A trigger on
-- users keeps it (sql/repeatable/rules.sql); login_lookup reads through it. Its key's
-- violation answers email_taken (errors.sql), as users_email_key's did. Within a building,
-- users_email_key still refuses a second spelling of an address.
DROP INDEX parkshare.users_email_key;
CREATE UNIQUE INDEX users_email_key ON parkshare.users
    (building_id, parkshare.ps_email_key(email));

-- No foreign key to users: in Citus a reference table cannot reference a distributed one.
CREATE TABLE parkshare.login_emails (
    email_key   text NOT NULL,
    building_id uuid NOT NULL REFERENCES parkshare.buildings,
    user_id     uuid NOT NULL,
    CONSTRAINT login_emails_pkey PRIMARY KEY (email_key)
);
-- Row-level security as on every table that names a building (the owner's procedures see
-- their building's rows, and every row when no context is set); the application role has
-- no privilege on it at all.
SELECT parkshare.ps_tenant_table('login_emails');

-- Existing users (the migration runs as the owner without a tenant context: it sees all).
INSERT INTO parkshare.login_emails (email_key, building_id, user_id)
SELECT parkshare.ps_email_key(email), building_id, id FROM parkshare.users
WHERE email IS NOT NULL;
