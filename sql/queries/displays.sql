-- The statements of lobby displays (parkshare.identity.displays and the board and admin
-- functions): an admin's displays, the board at a token's hash, the relay's checks.

-- name: create_display
SELECT parkshare.create_display(%(name)s, %(token_hash)s) AS display

-- name: admin_displays
SELECT parkshare.admin_displays() AS displays

-- name: revoke_display
SELECT parkshare.revoke_display(%(display_id)s)

-- name: board
SELECT parkshare.board_view(%(token_hash)s) AS board

-- name: open
SELECT display_id, building_id FROM parkshare.display_open(%(token_hash)s)

-- name: live
SELECT id FROM parkshare.displays_live(%(ids)s::uuid[]) AS id
