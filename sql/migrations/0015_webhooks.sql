-- Webhooks: a building's integrations receive its events as signed POSTs, in the order the
-- building's stream got them, at least once, retried for 24 hours (sql/repeatable/webhooks.sql,
-- shared/parkshare/notify/webhooks.py).

-- Where an outbox row landed in the building's stream, as numbers (a stream id is
-- "<ms>-<seq>"): the order webhooks follow, which outbox ids need not (an id is drawn before
-- its transaction commits, so a later id may commit, and be published, first).
ALTER TABLE parkshare.outbox
    ADD COLUMN stream_ms bigint GENERATED ALWAYS AS (split_part(stream_id, '-', 1)::bigint) STORED,
    ADD COLUMN stream_seq bigint GENERATED ALWAYS AS (split_part(stream_id, '-', 2)::bigint) STORED;
CREATE INDEX outbox_stream_idx ON parkshare.outbox (building_id, stream_ms, stream_seq)
    WHERE stream_id IS NOT NULL;

CREATE TABLE parkshare.webhooks (
    building_id uuid NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    url         text NOT NULL,
    events      text[] NOT NULL,
    -- The signing secret, sealed by the functions (AES-GCM, the key outside the database,
    -- bound to the building), as SSO client secrets are: a dump does not hold it.
    secret      bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid,
    CONSTRAINT webhooks_pkey PRIMARY KEY (building_id, id),
    CONSTRAINT webhooks_building_fkey FOREIGN KEY (building_id) REFERENCES parkshare.buildings (id),
    CONSTRAINT webhooks_url_valid CHECK (parkshare.ps_webhook_url_valid(url)),
    CONSTRAINT webhooks_events_valid CHECK (
        cardinality(events) BETWEEN 1 AND 20 AND events <@ parkshare.ps_webhook_event_types()),
    CONSTRAINT webhooks_secret_valid CHECK (length(secret) BETWEEN 16 AND 500)
);

-- The worker's side of each webhook: how far it has delivered (the stream position of the
-- last event passed, delivered or given up), the failures of the event at the head, and the
-- lease of the one worker sending to it.
CREATE TABLE parkshare.webhook_state (
    building_id   uuid NOT NULL,
    webhook_id    uuid NOT NULL,
    after_ms      bigint NOT NULL DEFAULT 0,
    after_seq     bigint NOT NULL DEFAULT 0,
    head_outbox   bigint,
    attempts      integer NOT NULL DEFAULT 0,
    retry_at      timestamptz,
    claimed_until timestamptz,
    CONSTRAINT webhook_state_pkey PRIMARY KEY (building_id, webhook_id),
    CONSTRAINT webhook_state_webhook_fkey FOREIGN KEY (building_id, webhook_id)
        REFERENCES parkshare.webhooks (building_id, id) ON DELETE CASCADE,
    CONSTRAINT webhook_state_attempts_valid CHECK (attempts >= 0)
);
-- The worker's poll: what may be tried now.
CREATE INDEX webhook_state_due_idx ON parkshare.webhook_state (retry_at);

-- Every attempt: what the receiver answered (null: it did not), or why nothing was sent.
CREATE TABLE parkshare.webhook_deliveries (
    building_id uuid NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    webhook_id  uuid NOT NULL,
    outbox_id   bigint NOT NULL,
    event_id    text NOT NULL,
    event_type  text NOT NULL,
    attempt     integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    status      integer,
    error       text,
    duration_ms integer NOT NULL,
    outcome     text NOT NULL,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (building_id, id),
    CONSTRAINT webhook_deliveries_webhook_fkey FOREIGN KEY (building_id, webhook_id)
        REFERENCES parkshare.webhooks (building_id, id) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_attempt_valid CHECK (attempt >= 1),
    CONSTRAINT webhook_deliveries_status_valid CHECK (status BETWEEN 100 AND 599),
    CONSTRAINT webhook_deliveries_error_valid CHECK (length(error) <= 1000),
    CONSTRAINT webhook_deliveries_duration_valid CHECK (duration_ms >= 0),
    CONSTRAINT webhook_deliveries_outcome_valid CHECK (
        outcome IN ('delivered', 'failed', 'given_up'))
);
-- A webhook's last delivery, and its log newest first.
CREATE INDEX webhook_deliveries_webhook_idx ON parkshare.webhook_deliveries
    (building_id, webhook_id, id);

SELECT parkshare.ps_tenant_table(t)
FROM unnest(ARRAY['webhooks', 'webhook_state', 'webhook_deliveries']) t;
-- No grant to the application role: the admin's procedures and the worker's read and write
-- them as the owner, and the sealed secrets stay out of every query the app could send.
