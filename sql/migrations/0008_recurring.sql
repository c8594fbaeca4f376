-- Recurring sharing and time off: an owner's weekly patterns for a spot, the date ranges a
-- pattern is paused, and the record of which of its occurrences were made into availability
-- windows. The windows themselves are ordinary availability rows, made and withdrawn on the
-- path set_availability takes (sql/repeatable/recurring.sql), so rules 3 and 10, booking and
-- the garage view apply to them unchanged.

CREATE TABLE parkshare.patterns (
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    building_id          uuid NOT NULL,
    spot_id              uuid NOT NULL,
    -- Copied from the spot so that owner-only reads are a plain comparison; the foreign key
    -- keeps it the spot's owner.
    owner_id             uuid NOT NULL,
    -- ISO weekdays (1 = Monday ... 7 = Sunday), distinct and ascending.
    weekdays             smallint[] NOT NULL,
    -- Local wall-clock times of the building's zone; until <= from ends the next day.
    from_time            time NOT NULL,
    until_time           time NOT NULL,
    every_weeks          smallint NOT NULL DEFAULT 1,
    starts_on            date NOT NULL,
    ends_on              date,
    status               text NOT NULL DEFAULT 'active',
    -- Every occurrence on a day up to this one has been considered (made into a window, or
    -- skipped as paused or over): the daily run goes on from the day after, so a window the
    -- owner withdrew by hand is never put back.
    materialised_through date NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    stopped_at           timestamptz,
    CONSTRAINT patterns_pkey PRIMARY KEY (building_id, id),
    CONSTRAINT patterns_owner_key UNIQUE (building_id, id, owner_id),
    CONSTRAINT patterns_spot_fkey FOREIGN KEY (building_id, spot_id, owner_id)
        REFERENCES parkshare.spots (building_id, id, owner_id),
    CONSTRAINT patterns_weekdays_valid CHECK (
        cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ '{1,2,3,4,5,6,7}'::smallint[]),
    CONSTRAINT patterns_times_valid CHECK (
        extract(second FROM from_time) = 0 AND extract(second FROM until_time) = 0),
    CONSTRAINT patterns_every_weeks_valid CHECK (every_weeks BETWEEN 1 AND 4),
    CONSTRAINT patterns_ends_on_valid CHECK (ends_on >= starts_on AND ends_on <= starts_on + 366),
    CONSTRAINT patterns_status_valid CHECK (status IN ('active', 'stopped')),
    CONSTRAINT patterns_stopped_shape CHECK ((status = 'stopped') = (stopped_at IS NOT NULL))
);
-- At most 20 active patterns per spot (counted under the spot's lock), a spot's summary.
CREATE INDEX patterns_spot_idx ON parkshare.patterns (building_id, spot_id) WHERE status = 'active';
-- A resident's own patterns.
CREATE INDEX patterns_owner_idx ON parkshare.patterns (building_id, owner_id, created_at);
-- The worker's daily run: active patterns not yet materialised up to the horizon.
CREATE INDEX patterns_due_idx ON parkshare.patterns (building_id, materialised_through)
    WHERE status = 'active';

-- Time off: no occurrence on a day from start_date to end_date (both included).
CREATE TABLE parkshare.pattern_pauses (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    building_id uuid NOT NULL,
    pattern_id  uuid NOT NULL,
    owner_id    uuid NOT NULL,
    start_date  date NOT NULL,
    end_date    date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pattern_pauses_pkey PRIMARY KEY (building_id, id),
    CONSTRAINT pattern_pauses_pattern_fkey FOREIGN KEY (building_id, pattern_id, owner_id)
        REFERENCES parkshare.patterns (building_id, id, owner_id),
    CONSTRAINT pattern_pauses_dates_valid CHECK (
        end_date >= start_date AND end_date <= start_date + 366)
);
CREATE INDEX pattern_pauses_pattern_idx ON parkshare.pattern_pauses
    (building_id, pattern_id, start_date);

-- One row per occurrence made into a window, by the local day it starts on: the primary key
-- makes a second materialisation of a day (a run repeated, two workers, a catch-up) a no-op.
-- withdrawn_at: a pause or a stop took its window back (and will not take it twice).
CREATE TABLE parkshare.pattern_occurrences (
    building_id     uuid NOT NULL,
    pattern_id      uuid NOT NULL,
    on_date         date NOT NULL,
    period          tstzrange NOT NULL,
    materialised_at timestamptz NOT NULL DEFAULT now(),
    withdrawn_at    timestamptz,
    CONSTRAINT pattern_occurrences_pkey PRIMARY KEY (building_id, pattern_id, on_date),
    CONSTRAINT pattern_occurrences_pattern_fkey FOREIGN KEY (building_id, pattern_id)
        REFERENCES parkshare.patterns (building_id, id),
    CONSTRAINT pattern_occurrences_period_valid CHECK (
        NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period)
        AND NOT lower_inf(period) AND NOT upper_inf(period))
);

SELECT parkshare.ps_tenant_table(t)
FROM unnest(ARRAY['patterns', 'pattern_pauses', 'pattern_occurrences']) t;

-- Patterns are private to their owner: within the building the tenant policy admits, the
-- application role reads a resident's own rows only (a restrictive policy, ANDed with the
-- tenant one). The procedures, as the owner role, check the owner themselves and answer
-- another resident's pattern as not found; the garage's summaries come from a procedure.
CREATE POLICY owner ON parkshare.patterns AS RESTRICTIVE TO parkshare_app
    USING (owner_id = (SELECT parkshare.ps_user()));
CREATE POLICY owner ON parkshare.pattern_pauses AS RESTRICTIVE TO parkshare_app
    USING (owner_id = (SELECT parkshare.ps_user()));

-- The record of occurrences is the procedures' own (not granted).
GRANT SELECT ON parkshare.patterns, parkshare.pattern_pauses TO parkshare_app;
