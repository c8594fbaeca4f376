-- The garage map: an admin uploads a plan per level (a PNG, JPEG or WebP image, at most 2 MiB,
-- stored here) and places spots on it; residents see the spots drawn on the plan
-- (sql/repeatable/map.sql). SVG is refused: it can carry script. What an image is, is read
-- from its first bytes, never from a name or a client's content type.

CREATE TABLE parkshare.level_plans (
    building_id uuid NOT NULL REFERENCES parkshare.buildings,
    level       text NOT NULL,
    image       bytea NOT NULL,
    media_type  text NOT NULL,
    -- What a client holds is compared with this (the plan's ETag).
    version     text GENERATED ALWAYS AS (md5(image)) STORED,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT level_plans_pkey PRIMARY KEY (building_id, level),
    -- A name a person reads, and one segment of a URL (/fn/map/plan?level=, PUT /plans/{level}).
    CONSTRAINT level_plans_level_valid CHECK (
        level ~ '^[^[:space:]/]([^[:cntrl:]/]{0,58}[^[:space:]/])?$'),
    CONSTRAINT level_plans_image_size CHECK (octet_length(image) <= 2097152),
    -- The media type is one of three, and the image's magic bytes are that type's.
    CONSTRAINT level_plans_image_type CHECK (
        (media_type = 'image/png'
            AND substring(image FROM 1 FOR 8) = '\x89504e470d0a1a0a'::bytea)
        OR (media_type = 'image/jpeg' AND substring(image FROM 1 FOR 3) = '\xffd8ff'::bytea)
        OR (media_type = 'image/webp' AND substring(image FROM 1 FOR 4) = '\x52494646'::bytea
            AND substring(image FROM 9 FOR 4) = '\x57454250'::bytea))
);

SELECT parkshare.ps_tenant_table('level_plans');

-- Where a spot is drawn: on one level's plan, at fractions of its width and height. Removing
-- the plan removes the positions drawn on it.
CREATE TABLE parkshare.spot_positions (
    building_id uuid NOT NULL,
    spot_id     uuid NOT NULL,
    level       text NOT NULL,
    x           numeric NOT NULL,
    y           numeric NOT NULL,
    CONSTRAINT spot_positions_pkey PRIMARY KEY (building_id, spot_id),
    CONSTRAINT spot_positions_spot_fkey FOREIGN KEY (building_id, spot_id)
        REFERENCES parkshare.spots (building_id, id) ON DELETE CASCADE,
    CONSTRAINT spot_positions_level_fkey FOREIGN KEY (building_id, level)
        REFERENCES parkshare.level_plans (building_id, level) ON DELETE CASCADE,
    CONSTRAINT spot_positions_x_valid CHECK (x BETWEEN 0 AND 1),
    CONSTRAINT spot_positions_y_valid CHECK (y BETWEEN 0 AND 1)
);
-- The cascade from a plan, and a level's spots.
CREATE INDEX spot_positions_level_idx ON parkshare.spot_positions (building_id, level);

SELECT parkshare.ps_tenant_table('spot_positions');

GRANT SELECT ON parkshare.level_plans, parkshare.spot_positions TO parkshare_app;
