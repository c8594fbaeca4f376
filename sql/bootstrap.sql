-- Cluster and database prerequisites, run by the migrator as itself before any migration.
-- Idempotent: it runs on every `parkshare migrate`.
--
-- parkshare_owner (NOLOGIN) owns every object; migrations run under SET LOCAL ROLE
-- parkshare_owner so ownership never depends on who migrated.
-- parkshare_app (LOGIN, NOBYPASSRLS) owns nothing: row-level security applies to it.
--
-- The migrator is expected to be a superuser (the embedded server, CI, a fresh cluster).
-- A non-superuser migrator needs CREATEROLE, CREATE on the database, and membership in
-- parkshare_owner with SET (PostgreSQL 16+: GRANT parkshare_owner TO <migrator> WITH SET
-- TRUE, INHERIT FALSE); the block below grants that membership when the migrator is not a
-- superuser and is allowed to. btree_gist is a trusted extension, so CREATE on the
-- database suffices for it.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'parkshare_owner') THEN
        CREATE ROLE parkshare_owner NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- roles are cluster-wide; a migrator of another database created it meanwhile
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'parkshare_app') THEN
        CREATE ROLE parkshare_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;

-- Enforced on every run, so a role created by hand with more rights is brought back in line.
ALTER ROLE parkshare_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;

DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
       AND NOT pg_has_role(session_user, 'parkshare_owner', 'MEMBER') THEN
        EXECUTE format('GRANT parkshare_owner TO %I', session_user);
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS parkshare AUTHORIZATION parkshare_owner;
CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public;

GRANT USAGE ON SCHEMA parkshare TO parkshare_app;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO parkshare_app', current_database());
END
$$;
