-- Deliveries: a notification on its way out of the app, one row per notification and
-- channel (only email today), written by ps_notify in the transaction of the notification
-- when its user keeps email on for its kind and has an address; the worker sends them
-- (parkshare.notify.mail) and records how it went. Their states and the moves between them
-- are sql/repeatable/deliveries.sql's.

CREATE TABLE parkshare.deliveries (
    building_id     uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    notification_id bigint NOT NULL,
    channel         text NOT NULL DEFAULT 'email',
    -- The address when the notification was written: a later change of address does not
    -- redirect what was already on its way.
    address         text NOT NULL,
    state           text NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT deliveries_pkey PRIMARY KEY (building_id, id),
    CONSTRAINT deliveries_notification_fkey FOREIGN KEY (building_id, notification_id)
        REFERENCES parkshare.notifications (building_id, id) ON DELETE CASCADE,
    CONSTRAINT deliveries_once_key UNIQUE (building_id, notification_id, channel),
    CONSTRAINT deliveries_channel_valid CHECK (channel = 'email'),
    CONSTRAINT deliveries_state_valid CHECK (
        state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    CONSTRAINT deliveries_attempts_valid CHECK (attempts >= 0),
    CONSTRAINT deliveries_sent_shape CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
    CONSTRAINT deliveries_address_valid CHECK (
        length(address) <= 254 AND address ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    CONSTRAINT deliveries_error_valid CHECK (length(last_error) <= 2000)
);
-- The worker's due rows, and the sending ones it looks at for a dead sender's.
CREATE INDEX deliveries_due_idx ON parkshare.deliveries (next_attempt_at)
    WHERE state IN ('pending', 'sending');
-- The admin's list, newest first.
CREATE INDEX deliveries_recent_idx ON parkshare.deliveries (building_id, created_at);

SELECT parkshare.ps_tenant_table('deliveries');
