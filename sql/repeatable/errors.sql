-- The error vocabulary: every SQLSTATE a procedure raises and every constraint whose violation
-- a client can cause, with the public `code` and HTTP status of the contract.
-- shared/parkshare/problems.py reads this very file, so SQL and Python cannot disagree.
-- Re-applied by `parkshare migrate` whenever it changes.

DELETE FROM parkshare.error_codes;
INSERT INTO parkshare.error_codes (sqlstate, code, status, title) VALUES
    ('PSV01', 'invalid_request',        422, 'Invalid request'),
    ('PSV02', 'invalid_window',         422, 'Invalid time window'),
    ('PSI01', 'invalid_invite',         400, 'Invalid invite'),
    ('PSA01', 'unauthenticated',        401, 'Authentication required'),
    ('PSA02', 'invalid_token',          401, 'Invalid or expired token'),
    ('PSF01', 'forbidden',              403, 'Forbidden'),
    ('PSF02', 'not_owner',              403, 'Not the owner of this spot'),
    ('PSF03', 'own_spot',               403, 'Cannot reserve your own spot'),
    ('PSF04', 'not_yours',              403, 'Not your reservation'),
    ('PSN01', 'spot_not_found',         404, 'Spot not found'),
    ('PSN02', 'reservation_not_found',  404, 'Reservation not found'),
    ('PSN03', 'user_not_found',         404, 'User not found'),
    ('PSC01', 'spot_unavailable',       409, 'Spot not offered for that window'),
    ('PSC02', 'spot_taken',             409, 'Spot already reserved for that window'),
    ('PSC03', 'overlapping_reservation', 409, 'You already hold a reservation then'),
    ('PSC04', 'already_started',        409, 'Reservation already started'),
    ('PSC05', 'has_reservations',       409, 'Booked reservations in that window'),
    ('PSC06', 'label_taken',            409, 'Label already used in this building'),
    ('PSC07', 'email_taken',            409, 'Email already registered'),
    ('PSC08', 'not_due',                409, 'Reservation has not ended'),
    ('PSC09', 'immutable_record',       409, 'Record cannot change'),
    ('PSC10', 'ledger_mismatch',        409, 'Ledger does not match the reservation'),
    ('PSC11', 'idempotency_mismatch',   409, 'Idempotency key reused with another request'),
    ('PSC12', 'conflict',               409, 'Conflicting change'),
    ('PSP01', 'insufficient_credits',   402, 'Not enough credits');

DELETE FROM parkshare.constraint_errors;
INSERT INTO parkshare.constraint_errors (constraint_name, code) VALUES
    ('reservations_spot_free',        'spot_taken'),
    ('reservations_user_free',        'overlapping_reservation'),
    ('reservations_not_own_spot',     'own_spot'),
    ('reservations_period_valid',     'invalid_window'),
    ('availability_period_valid',     'invalid_window'),
    ('availability_merged',           'conflict'),
    ('accounts_balance_nonnegative',  'insufficient_credits'),
    ('spots_label_key',               'label_taken'),
    ('spots_label_valid',             'invalid_request'),
    ('spots_location_valid',          'invalid_request'),
    ('spots_notes_valid',             'invalid_request'),
    ('users_email_key',               'email_taken'),
    ('users_email_valid',             'invalid_request'),
    ('users_display_name_valid',      'invalid_request'),
    ('users_role_check',              'invalid_request'),
    ('invites_role_check',            'invalid_request'),
    ('buildings_name_valid',          'invalid_request'),
    ('buildings_timezone_valid',      'invalid_request'),
    ('buildings_cost_valid',          'invalid_request'),
    ('buildings_starting_credits_valid', 'invalid_request'),
    ('buildings_max_hours_valid',     'invalid_request'),
    ('buildings_horizon_days_valid',  'invalid_request'),
    ('ledger_entries_reason_check',   'invalid_request');
