-- The garage map's statements: the admin's plans and positions, the residents' reads.

-- name: set_level_plan
SELECT parkshare.set_level_plan(%(level)s, %(image)s) AS level

-- name: remove_level_plan
SELECT parkshare.remove_level_plan(%(level)s)

-- name: place_spot
SELECT parkshare.place_spot(%(spot_id)s, %(level)s, %(x)s::numeric, %(y)s::numeric) AS position

-- name: unplace_spot
SELECT parkshare.unplace_spot(%(spot_id)s)

-- name: garage_map
SELECT parkshare.garage_map() AS map

-- name: level_plan
SELECT media_type, image, version FROM parkshare.level_plan(%(level)s)
