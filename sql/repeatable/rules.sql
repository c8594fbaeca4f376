-- The rules a single-row CHECK cannot enforce, as triggers: the policy at booking time
-- (rules 3, 5, 6), the lifecycle of a reservation (rules 8, 9), the money that must match it
-- (rules 6, 8, 9), availability that may not vanish under a booking (rule 10), the immutable
-- ledger and audit log (rule 11) and the starting grant of every new user (rule 7).

-- Rule 7: every user gets an account and the building's starting credits, however created.
CREATE OR REPLACE FUNCTION parkshare.tg_users_open_account() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_account uuid;
    v_credits integer;
BEGIN
    INSERT INTO accounts (building_id, kind, user_id, balance)
    VALUES (NEW.building_id, 'user', NEW.id, 0)
    RETURNING id INTO v_account;
    SELECT starting_credits INTO v_credits FROM buildings WHERE id = NEW.building_id;
    IF v_credits > 0 THEN
        INSERT INTO ledger_entries (building_id, from_account, to_account, amount, kind, reason)
        VALUES (NEW.building_id, ps_account(NEW.building_id, 'issuance'), v_account, v_credits,
                'grant', 'starting credits');
    END IF;
    RETURN NULL;
END
$$;

-- Login is by email alone, so an address names one user across all buildings: the directory
-- of sign-in addresses (login_emails, not building-owned) follows every user's address, and
-- its key refuses one that a user of any building holds (email_taken, sql/repeatable/
-- errors.sql). No procedure deletes a user; a removal by hand takes the address out too.
CREATE OR REPLACE FUNCTION parkshare.tg_users_login_email() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_old login_emails;
    v_new login_emails;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.email IS NOT NULL THEN
        v_old := ROW(ps_email_key(OLD.email), OLD.building_id, OLD.id);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.email IS NOT NULL THEN
        v_new := ROW(ps_email_key(NEW.email), NEW.building_id, NEW.id);
    END IF;
    IF v_old IS NOT DISTINCT FROM v_new THEN
        RETURN NULL;
    END IF;
    IF v_old.email_key IS NOT NULL THEN
        DELETE FROM login_emails WHERE email_key = v_old.email_key AND user_id = v_old.user_id;
    END IF;
    IF v_new.email_key IS NOT NULL THEN
        INSERT INTO login_emails (email_key, building_id, user_id)
        VALUES (v_new.email_key, v_new.building_id, v_new.user_id);
    END IF;
    RETURN NULL;
END
$$;

-- Rule 11: entries are never changed or removed.
CREATE OR REPLACE FUNCTION parkshare.tg_immutable() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM parkshare.ps_raise('immutable_record',
                               format('%s rows are never changed or removed', TG_TABLE_NAME));
    RETURN NULL;
END
$$;

-- Balances follow their entries in the same transaction; accounts_balance_nonnegative turns
-- an overdraft into an error (rule 6).
CREATE OR REPLACE FUNCTION parkshare.tg_ledger_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_user uuid;
    v_balance bigint;
BEGIN
    UPDATE accounts SET balance = balance - NEW.amount
    WHERE id = NEW.from_account AND kind = 'user'
    RETURNING user_id, balance INTO v_user, v_balance;
    IF v_user IS NOT NULL THEN
        PERFORM ps_emit(NEW.building_id, 'credits.changed',
                        jsonb_build_object('user_id', v_user, 'credits', v_balance), v_user);
    END IF;
    v_user := NULL;
    UPDATE accounts SET balance = balance + NEW.amount
    WHERE id = NEW.to_account AND kind = 'user'
    RETURNING user_id, balance INTO v_user, v_balance;
    IF v_user IS NOT NULL THEN
        PERFORM ps_emit(NEW.building_id, 'credits.changed',
                        jsonb_build_object('user_id', v_user, 'credits', v_balance), v_user);
    END IF;
    RETURN NULL;
END
$$;

-- Rule 5's policy half: a window the building lets one book (its length, not in the past,
-- within the horizon). Bookings are admitted through it, and requests are checked against
-- it when made, so a request that waits could be booked when it matches.
CREATE OR REPLACE FUNCTION parkshare.ps_check_window(p_building parkshare.buildings,
                                                     p_period tstzrange)
RETURNS void
LANGUAGE plpgsql SET search_path = parkshare, pg_temp
AS $$
BEGIN
    IF upper(p_period) - lower(p_period) > make_interval(hours => p_building.max_hours) THEN
        PERFORM ps_raise('invalid_window', format('a reservation lasts at most %s hours',
                                                  p_building.max_hours));
    END IF;
    IF lower(p_period) < now() - interval '5 minutes' THEN
        PERFORM ps_raise('invalid_window', 'a reservation cannot start in the past');
    END IF;
    IF lower(p_period) > ps_local_add_days(now(), p_building.horizon_days, p_building.timezone)
    THEN
        PERFORM ps_raise('invalid_window', format('a reservation starts within %s days',
                                                  p_building.horizon_days));
    END IF;
END
$$;

-- Rules 3, 5, 6 at booking time: the building's policy decides the cost and the limits.
CREATE OR REPLACE FUNCTION parkshare.tg_reservations_admit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_building buildings;
BEGIN
    -- Bookings of one spot queue here, behind each other and behind set_availability (which
    -- locks the same row): the availability read below then sees every committed change, and
    -- a double booking meets a committed rival at the exclusion constraint instead of two
    -- in-flight inserts waiting on each other until the deadlock detector fires.
    PERFORM 1 FROM spots WHERE id = NEW.spot_id FOR NO KEY UPDATE;
    SELECT * INTO STRICT v_building FROM buildings WHERE id = NEW.building_id;
    NEW.cost := v_building.cost;
    NEW.status := 'booked';
    NEW.created_at := now();
    -- The check-in policy of the moment of booking stays with the booking.
    -- (Never past the end: a booking shorter than the grace is a no-show by its end.)
    NEW.checkin_until := CASE WHEN v_building.checkin_grace_minutes > 0
        THEN least(lower(NEW.period) + make_interval(mins => v_building.checkin_grace_minutes),
                   upper(NEW.period)) END;
    NEW.no_show_share := least(v_building.no_show_owner_share, v_building.cost);
    NEW.checked_in_at := NULL;
    NEW.no_show_at := NULL;
    PERFORM ps_check_window(v_building, NEW.period);
    -- On the bounds' columns, not the range: under the policy that is an index range scan.
    -- (An empty window is left to reservations_period_valid, which names it invalid.)
    IF NOT isempty(NEW.period) AND NOT EXISTS (SELECT 1 FROM availability
                   WHERE spot_id = NEW.spot_id AND end_at >= upper(NEW.period)
                     AND start_at <= lower(NEW.period)) THEN
        PERFORM ps_raise('spot_unavailable', 'the spot is not offered for the whole window');
    END IF;
    -- The garage view's bound on the bookings in progress at an instant (migration 0006):
    -- the building's longest booking, which only grows.
    IF NOT isempty(NEW.period)
       AND upper(NEW.period) - lower(NEW.period) > v_building.longest_booking THEN
        UPDATE buildings SET longest_booking = upper(NEW.period) - lower(NEW.period)
        WHERE id = NEW.building_id AND longest_booking < upper(NEW.period) - lower(NEW.period);
    END IF;
    RETURN NEW;
END
$$;

-- Rules 8-9: a reservation only moves booked -> cancelled (before it starts), booked ->
-- settled (after it ends) or booked -> no_show (check-in on, nobody checked in by its end);
-- while booked it may be checked in to, once, in its check-in window; nothing else about it
-- ever changes.
CREATE OR REPLACE FUNCTION parkshare.tg_reservations_transition() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF (NEW.id, NEW.building_id, NEW.spot_id, NEW.owner_id, NEW.user_id, NEW.period, NEW.cost,
        NEW.created_at, NEW.checkin_until, NEW.no_show_share)
       IS DISTINCT FROM
       (OLD.id, OLD.building_id, OLD.spot_id, OLD.owner_id, OLD.user_id, OLD.period, OLD.cost,
        OLD.created_at, OLD.checkin_until, OLD.no_show_share)
       OR (OLD.status <> 'booked' AND NEW IS DISTINCT FROM OLD)
    THEN
        PERFORM parkshare.ps_raise('immutable_record', 'only a booked reservation changes status');
    END IF;
    IF NEW.checked_in_at IS DISTINCT FROM OLD.checked_in_at THEN
        IF OLD.checked_in_at IS NOT NULL OR NEW.status <> 'booked' OR OLD.checkin_until IS NULL
           OR now() < lower(OLD.period) - interval '15 minutes' OR now() > OLD.checkin_until
        THEN
            PERFORM parkshare.ps_raise('checkin_closed', format(
                'check-in is open from 15 minutes before the start until %s',
                coalesce(parkshare.ps_iso(OLD.checkin_until), 'never (check-in is off)')));
        END IF;
    END IF;
    IF NEW.status = 'no_show' AND OLD.status = 'booked'
       AND (OLD.checkin_until IS NULL OR now() < OLD.checkin_until) THEN
        PERFORM parkshare.ps_raise('not_due', 'the check-in window has not closed yet');
    END IF;
    IF NEW.status = 'cancelled' AND OLD.status = 'booked' AND now() >= lower(OLD.period) THEN
        PERFORM parkshare.ps_raise('already_started', 'the reservation has already started');
    END IF;
    IF NEW.status = 'settled' AND OLD.status = 'booked' AND now() < upper(OLD.period) THEN
        PERFORM parkshare.ps_raise('not_due', 'the reservation has not ended yet');
    END IF;
    IF NEW.status = 'settled' AND OLD.checkin_until IS NOT NULL AND OLD.checked_in_at IS NULL THEN
        PERFORM parkshare.ps_raise('not_due', 'nobody checked in: a no-show, not a settlement');
    END IF;
    RETURN NEW;
END
$$;

-- Rules 6, 8, 9 at commit: the money always matches the status. Booked: the cost was moved
-- from the parker to escrow. Cancelled: it went back to the parker. Settled: to the owner.
CREATE OR REPLACE FUNCTION parkshare.tg_reservations_money() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
DECLARE
    v_now reservations;
    v_escrow uuid;
    v_release_to uuid;
BEGIN
    SELECT * INTO STRICT v_now FROM reservations WHERE id = NEW.id;
    IF v_now.cost = 0 THEN
        RETURN NULL;
    END IF;
    v_escrow := ps_account(v_now.building_id, 'escrow');
    IF NOT EXISTS (SELECT 1 FROM ledger_entries
                   WHERE building_id = v_now.building_id AND reservation_id = v_now.id
                     AND kind = 'hold' AND amount = v_now.cost
                     AND from_account = ps_account(v_now.building_id, 'user', v_now.user_id)
                     AND to_account = v_escrow) THEN
        PERFORM ps_raise('ledger_mismatch', 'a booking must hold its cost in escrow');
    END IF;
    IF v_now.status = 'no_show' THEN
        -- The owner's share and the parker's refund, each exactly as booked and nothing more;
        -- together the cost leaves escrow (rule 11).
        IF coalesce((SELECT sum(amount) FROM ledger_entries
                     WHERE building_id = v_now.building_id AND reservation_id = v_now.id
                       AND kind = 'no_show_payout' AND from_account = v_escrow
                       AND to_account = ps_account(v_now.building_id, 'user', v_now.owner_id)),
                    0) <> v_now.no_show_share
           OR coalesce((SELECT sum(amount) FROM ledger_entries
                        WHERE building_id = v_now.building_id AND reservation_id = v_now.id
                          AND kind = 'no_show_refund' AND from_account = v_escrow
                          AND to_account = ps_account(v_now.building_id, 'user', v_now.user_id)),
                       0) <> v_now.cost - v_now.no_show_share
           OR EXISTS (SELECT 1 FROM ledger_entries
                      WHERE building_id = v_now.building_id AND reservation_id = v_now.id
                        AND kind IN ('refund', 'payout')) THEN
            PERFORM ps_raise('ledger_mismatch',
                             'a no-show pays the owner its share and refunds the rest');
        END IF;
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_entries
               WHERE building_id = v_now.building_id AND reservation_id = v_now.id
                 AND kind IN ('no_show_payout', 'no_show_refund')) THEN
        PERFORM ps_raise('ledger_mismatch', 'only a no-show pays a no-show share');
    END IF;
    v_release_to := CASE v_now.status
        WHEN 'cancelled' THEN ps_account(v_now.building_id, 'user', v_now.user_id)
        WHEN 'settled' THEN ps_account(v_now.building_id, 'user', v_now.owner_id)
    END;
    IF v_release_to IS NULL THEN
        IF EXISTS (SELECT 1 FROM ledger_entries
                   WHERE building_id = v_now.building_id AND reservation_id = v_now.id
                     AND kind IN ('refund', 'payout')) THEN
            PERFORM ps_raise('ledger_mismatch', 'a booked reservation keeps its cost in escrow');
        END IF;
    ELSIF NOT EXISTS (
        SELECT 1 FROM ledger_entries
        WHERE building_id = v_now.building_id AND reservation_id = v_now.id
          AND amount = v_now.cost
          AND kind = CASE v_now.status WHEN 'cancelled' THEN 'refund' ELSE 'payout' END
          AND from_account = v_escrow AND to_account = v_release_to) THEN
        PERFORM ps_raise('ledger_mismatch',
                         format('a %s reservation must release its cost', v_now.status));
    END IF;
    RETURN NULL;
END
$$;

-- Rule 10 at commit: withdrawn availability may not leave a booked reservation uncovered.
CREATE OR REPLACE FUNCTION parkshare.tg_availability_covers_bookings() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = parkshare, pg_temp
AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM reservations r
        WHERE r.spot_id = OLD.spot_id AND r.status = 'booked'
          AND r.start_at < upper(OLD.period) AND r.end_at > lower(OLD.period)
          AND NOT EXISTS (SELECT 1 FROM availability a
                          WHERE a.spot_id = r.spot_id AND a.start_at <= r.start_at
                            AND a.end_at >= r.end_at))
    THEN
        PERFORM ps_raise('has_reservations',
                         'booked reservations lie in that window; cancel them to withdraw it');
    END IF;
    RETURN NULL;
END
$$;

-- Names and labels are stored composed (NFC), however they were typed: an accent typed as a
-- combining mark and its precomposed form make one label. The columns are the trigger's
-- arguments; the CHECK constraints then refuse what no normalising makes plain.
CREATE OR REPLACE FUNCTION parkshare.tg_compose_text() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_row jsonb := to_jsonb(NEW);
    v_composed jsonb := '{}';
    v_column text;
BEGIN
    FOREACH v_column IN ARRAY TG_ARGV LOOP
        IF v_row->>v_column IS NOT NULL THEN
            v_composed := v_composed
                || jsonb_build_object(v_column, normalize(v_row->>v_column, NFC));
        END IF;
    END LOOP;
    RETURN jsonb_populate_record(NEW, v_composed);
END
$$;

-- The triggers, beside the functions they run: dropped and made again on every apply.
DROP TRIGGER IF EXISTS users_open_account ON parkshare.users;
CREATE TRIGGER users_open_account AFTER INSERT ON parkshare.users
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_users_open_account();
DROP TRIGGER IF EXISTS users_login_email ON parkshare.users;
CREATE TRIGGER users_login_email AFTER INSERT OR DELETE OR UPDATE OF email, building_id
    ON parkshare.users
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_users_login_email();
DROP TRIGGER IF EXISTS ledger_entries_immutable ON parkshare.ledger_entries;
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON parkshare.ledger_entries
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_immutable();
DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON parkshare.ledger_entries;
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON parkshare.ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION parkshare.tg_immutable();
DROP TRIGGER IF EXISTS ledger_entries_apply ON parkshare.ledger_entries;
CREATE TRIGGER ledger_entries_apply AFTER INSERT ON parkshare.ledger_entries
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_ledger_apply();
DROP TRIGGER IF EXISTS reservations_admit ON parkshare.reservations;
CREATE TRIGGER reservations_admit BEFORE INSERT ON parkshare.reservations
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_reservations_admit();
DROP TRIGGER IF EXISTS reservations_transition ON parkshare.reservations;
CREATE TRIGGER reservations_transition BEFORE UPDATE ON parkshare.reservations
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_reservations_transition();
DROP TRIGGER IF EXISTS reservations_no_delete ON parkshare.reservations;
CREATE TRIGGER reservations_no_delete BEFORE DELETE ON parkshare.reservations
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_immutable();
DROP TRIGGER IF EXISTS reservations_money ON parkshare.reservations;
CREATE CONSTRAINT TRIGGER reservations_money AFTER INSERT OR UPDATE ON parkshare.reservations
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_reservations_money();
DROP TRIGGER IF EXISTS availability_covers_bookings ON parkshare.availability;
CREATE CONSTRAINT TRIGGER availability_covers_bookings
    AFTER UPDATE OR DELETE ON parkshare.availability
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_availability_covers_bookings();
DROP TRIGGER IF EXISTS audit_log_immutable ON parkshare.audit_log;
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON parkshare.audit_log
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_immutable();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON parkshare.audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON parkshare.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION parkshare.tg_immutable();
DROP TRIGGER IF EXISTS spots_compose_text ON parkshare.spots;
CREATE TRIGGER spots_compose_text BEFORE INSERT OR UPDATE ON parkshare.spots
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_compose_text('label', 'location', 'notes');
DROP TRIGGER IF EXISTS users_compose_text ON parkshare.users;
CREATE TRIGGER users_compose_text BEFORE INSERT OR UPDATE ON parkshare.users
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_compose_text('display_name');
DROP TRIGGER IF EXISTS buildings_compose_text ON parkshare.buildings;
CREATE TRIGGER buildings_compose_text BEFORE INSERT OR UPDATE ON parkshare.buildings
    FOR EACH ROW EXECUTE FUNCTION parkshare.tg_compose_text('name');
