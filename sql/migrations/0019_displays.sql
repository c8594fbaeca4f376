-- Lobby displays: a screen in the building's lobby shows the garage's state (sql/repeatable/
-- displays.sql). An admin creates one and is shown its token once; the screen presents it as
-- `Authorization: Display <token>` (GET /fn/board) or in the relay's subprotocols. Only the
-- token's SHA-256 is kept, as for calendar feeds and refresh tokens: a dump opens no board.
-- Revoking stamps the row (it stays listed, so an admin sees which screen stopped when).

CREATE TABLE parkshare.displays (
    building_id  uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    name         text NOT NULL,
    token_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    last_seen_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT displays_pkey PRIMARY KEY (building_id, id),
    CONSTRAINT displays_building_fkey FOREIGN KEY (building_id)
        REFERENCES parkshare.buildings (id),
    CONSTRAINT displays_name_valid CHECK (
        length(btrim(name)) BETWEEN 1 AND 100 AND parkshare.ps_is_plain(name)),
    CONSTRAINT displays_token_hash_valid CHECK (octet_length(token_hash) = 32)
);
-- A board or a socket names its display by the hash alone, across buildings. Not unique, as
-- calendar_feeds' is not (a shard could not check it without building_id); two SHA-256 of
-- 256 random bits do not collide.
CREATE INDEX displays_token_hash_idx ON parkshare.displays (token_hash);

SELECT parkshare.ps_tenant_table('displays');
-- No grant to the application role: the admin's procedures, the board and the relay's checks
-- read and write it as the owner, and no query the app could send sees a hash.
