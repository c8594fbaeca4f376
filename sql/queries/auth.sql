-- The statements of the auth function. Login and refresh run before any tenant context
-- exists: each procedure finds the building itself and sets the context from there.

-- name: login_lookup
SELECT user_id, building_id, password_hash, role, active FROM parkshare.login_lookup(%(email)s)

-- name: rehash_password
SELECT parkshare.rehash_password(%(user_id)s, %(old_hash)s, %(new_hash)s)

-- name: issue_refresh_token
SELECT parkshare.issue_refresh_token(%(user_id)s, %(hash)s, %(family)s, %(expires_at)s)

-- name: rotate_refresh_token
SELECT outcome, user_id, building_id, role
FROM parkshare.rotate_refresh_token(%(old_hash)s, %(new_hash)s, %(expires_at)s)

-- name: revoke_refresh_token
SELECT parkshare.revoke_refresh_token(%(hash)s)

-- name: sign_up
SELECT id, email, display_name, role, building_id
FROM parkshare.sign_up(%(code_hash)s, %(email)s, %(password_hash)s, %(display_name)s)
