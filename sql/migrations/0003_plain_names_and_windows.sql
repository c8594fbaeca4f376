-- Names and labels are plain text, stored composed (NFC): no control or format characters,
-- no look-alike labels (the key folds compatibility forms and case). Email addresses are
-- compared by one key. Stored windows stay within what answers can express.
--
-- Rows stored before these rules are left as they are (NOT VALID) if they break them; the
-- rules hold for every row written from now on.

DROP INDEX parkshare.users_email_key;
CREATE UNIQUE INDEX users_email_key ON parkshare.users (parkshare.ps_email_key(email));

DROP INDEX parkshare.spots_label_key;
CREATE UNIQUE INDEX spots_label_key ON parkshare.spots (building_id, parkshare.ps_label_key(label));

ALTER TABLE parkshare.spots DROP CONSTRAINT spots_label_valid,
    ADD CONSTRAINT spots_label_valid CHECK (
        label ~ '^[^[:space:]]([^[:cntrl:]]{0,30}[^[:space:]])?$'
        AND parkshare.ps_is_plain(label) AND label IS NFC NORMALIZED
        AND normalize(label, NFKC) = btrim(normalize(label, NFKC))) NOT VALID,
    DROP CONSTRAINT spots_location_valid,
    ADD CONSTRAINT spots_location_valid CHECK (
        length(location) <= 200 AND parkshare.ps_is_plain(location)
        AND location IS NFC NORMALIZED) NOT VALID,
    DROP CONSTRAINT spots_notes_valid,
    ADD CONSTRAINT spots_notes_valid CHECK (
        length(notes) <= 2000 AND parkshare.ps_is_plain(notes, true)
        AND notes IS NFC NORMALIZED) NOT VALID;

ALTER TABLE parkshare.users DROP CONSTRAINT users_display_name_valid,
    ADD CONSTRAINT users_display_name_valid CHECK (
        length(btrim(normalize(display_name, NFKC))) BETWEEN 1 AND 100
        AND parkshare.ps_is_plain(display_name) AND display_name IS NFC NORMALIZED) NOT VALID;

ALTER TABLE parkshare.buildings DROP CONSTRAINT buildings_name_valid,
    ADD CONSTRAINT buildings_name_valid CHECK (
        length(btrim(normalize(name, NFKC))) BETWEEN 1 AND 200
        AND parkshare.ps_is_plain(name) AND name IS NFC NORMALIZED) NOT VALID;

ALTER TABLE parkshare.availability ADD CONSTRAINT availability_period_in_range CHECK (
    parkshare.ps_is_expressible(lower(period)) AND parkshare.ps_is_expressible(upper(period)))
    NOT VALID;
ALTER TABLE parkshare.reservations ADD CONSTRAINT reservations_period_in_range CHECK (
    parkshare.ps_is_expressible(lower(period)) AND parkshare.ps_is_expressible(upper(period)))
    NOT VALID;

-- Validated where the rows allow it, so a database without such rows ends up exactly as a
-- new one.
DO $$
DECLARE
    v_table text;
    v_constraint text;
BEGIN
    FOR v_table, v_constraint IN VALUES
        ('spots', 'spots_label_valid'), ('spots', 'spots_location_valid'),
        ('spots', 'spots_notes_valid'), ('users', 'users_display_name_valid'),
        ('buildings', 'buildings_name_valid'),
        ('availability', 'availability_period_in_range'),
        ('reservations', 'reservations_period_in_range')
    LOOP
        BEGIN
            EXECUTE format('ALTER TABLE parkshare.%I VALIDATE CONSTRAINT %I', v_table,
                           v_constraint);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING '% has rows stored before % held; new rows are checked',
                v_table, v_constraint;
        END;
    END LOOP;
END
$$;
