-- The statements of the auth function. Login and refresh run before any tenant context
-- exists: each procedure finds the building itself and sets the context from there.

-- name: login_lookup
-- The account (if any) and the key its failures are counted under, in one round trip.
SELECT k.digest AS account_key, l.user_id, l.building_id, l.password_hash, l.role, l.active
FROM parkshare.ps_email_digest(%(email)s) k(digest)
LEFT JOIN parkshare.login_lookup(%(email)s) l ON true

-- name: rehash_password
SELECT parkshare.rehash_password(%(user_id)s, %(old_hash)s, %(new_hash)s)

-- name: refresh_session
SELECT outcome, user_id, building_id, role, session_id
FROM parkshare.refresh_session(%(old_hash)s, %(new_hash)s, %(expires_at)s)

-- name: revoke_refresh_token
SELECT parkshare.revoke_refresh_token(%(hash)s)

-- name: sign_up
SELECT id, email, display_name, role, building_id
FROM parkshare.sign_up(%(code_hash)s, %(email)s, %(password_hash)s, %(display_name)s)

-- name: start_session
SELECT parkshare.start_session(%(user_id)s, %(hash)s, %(session_id)s, %(expires_at)s,
                               %(method)s, %(user_agent)s, %(address)s)

-- name: audit_security
SELECT parkshare.audit_security(%(action)s, %(building_id)s, %(user_id)s, %(address)s,
                                %(detail)s::jsonb)

-- name: my_sessions
SELECT parkshare.my_sessions() AS sessions

-- name: revoke_session
SELECT parkshare.revoke_session(%(session_id)s)

-- name: my_password_hash
SELECT parkshare.my_password_hash() AS password_hash, u.email
FROM parkshare.users u WHERE u.id = parkshare.ps_user()

-- name: change_password
SELECT parkshare.change_password(%(old_hash)s, %(new_hash)s) AS sessions_ended

-- name: sso_config
SELECT building_id, issuer, client_id, client_secret FROM parkshare.sso_config(%(building_id)s)

-- name: sso_sign_in
SELECT user_id, created
FROM parkshare.sso_sign_in(%(building_id)s, %(issuer)s, %(subject)s, %(email)s,
                           %(email_verified)s, %(groups)s, %(name)s, %(handoff_hash)s,
                           %(handoff_expires_at)s)

-- name: sso_redeem
SELECT user_id, building_id, role FROM parkshare.sso_redeem(%(code_hash)s)
