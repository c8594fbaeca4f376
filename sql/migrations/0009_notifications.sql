-- In-app notifications: what a resident is told about their bookings and their spots, one
-- row per person and cause, written by the procedures in the transaction of the cause
-- (sql/repeatable/notifications.sql); and each resident's choices (email per kind, the
-- reminder's lead time, the language of what is sent to them).

CREATE TABLE parkshare.notifications (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    building_id uuid NOT NULL,
    user_id     uuid NOT NULL,
    kind        text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    title       text NOT NULL,
    body        text NOT NULL,
    -- The facts (reservation_id, spot_id, spot_label, start, end, amount, by): clients and
    -- the templates of other channels build their own text from these.
    data        jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT notifications_pkey PRIMARY KEY (building_id, id),
    CONSTRAINT notifications_user_fkey FOREIGN KEY (building_id, user_id)
        REFERENCES parkshare.users (building_id, id),
    CONSTRAINT notifications_kind_valid CHECK (kind = ANY (parkshare.ps_notification_kinds())),
    CONSTRAINT notifications_data_valid CHECK (jsonb_typeof(data) = 'object'),
    CONSTRAINT notifications_text_valid CHECK (
        length(title) BETWEEN 1 AND 200 AND length(body) <= 2000)
);
-- A resident's page, newest first, continued below an id.
CREATE INDEX notifications_user_idx ON parkshare.notifications (building_id, user_id, id);
-- The unread count.
CREATE INDEX notifications_unread_idx ON parkshare.notifications (building_id, user_id)
    WHERE read_at IS NULL;
-- Once per person, kind and reservation, whoever writes it and however often (a repeated
-- cause, a reminder run twice): the second is a no-op.
CREATE UNIQUE INDEX notifications_once_key ON parkshare.notifications
    (building_id, user_id, kind, ((data ->> 'reservation_id')))
    WHERE data ? 'reservation_id';

-- No row: every default (email for every kind but booking.ends_soon, 15 minutes, English).
-- email holds only the kinds the resident chose, merged over those defaults when read.
CREATE TABLE parkshare.notification_preferences (
    building_id    uuid NOT NULL,
    user_id        uuid NOT NULL,
    email          jsonb NOT NULL DEFAULT '{}',
    remind_minutes integer NOT NULL DEFAULT 15,
    locale         text NOT NULL DEFAULT 'en',
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_preferences_pkey PRIMARY KEY (building_id, user_id),
    CONSTRAINT notification_preferences_user_fkey FOREIGN KEY (building_id, user_id)
        REFERENCES parkshare.users (building_id, id),
    CONSTRAINT notification_preferences_email_valid CHECK (
        parkshare.ps_email_choices_valid(email)),
    CONSTRAINT notification_preferences_remind_minutes_valid CHECK (
        remind_minutes BETWEEN 0 AND 1440),
    CONSTRAINT notification_preferences_locale_valid CHECK (locale IN ('en', 'fr', 'de'))
);

SELECT parkshare.ps_tenant_table(t)
FROM unnest(ARRAY['notifications', 'notification_preferences']) t;

-- A resident's notifications and choices are their own: within the building the tenant
-- policy admits, the application role reads only the caller's rows (restrictive, ANDed with
-- the tenant one). The procedures write them as the owner role.
CREATE POLICY owner ON parkshare.notifications AS RESTRICTIVE TO parkshare_app
    USING (user_id = (SELECT parkshare.ps_user()));
CREATE POLICY owner ON parkshare.notification_preferences AS RESTRICTIVE TO parkshare_app
    USING (user_id = (SELECT parkshare.ps_user()));

GRANT SELECT ON parkshare.notifications, parkshare.notification_preferences TO parkshare_app;
