-- The statements the functions run themselves (the writes GraphQL shares are in ops.sql):
-- one call into a procedure or view each, with the answer shaped as the public contract has it.

-- name: list_spots
SELECT coalesce(json_agg(v.spot ORDER BY v.n), '[]'::json) AS spots
FROM parkshare.spot_views_v2(%(start)s, %(end)s, %(available_only)s) WITH ORDINALITY v(spot, n)

-- name: me
SELECT parkshare.me_view() AS me

-- name: create_invite
SELECT role, email, expires_at
FROM parkshare.create_invite(%(code_hash)s, %(role)s, %(expires_at)s, %(email)s)

-- name: admin_residents
SELECT parkshare.admin_residents() AS residents

-- name: disable_user
SELECT parkshare.disable_user(%(user_id)s) AS summary

-- name: enable_user
SELECT parkshare.enable_user(%(user_id)s)

-- name: set_policy
SELECT parkshare.set_policy_v2(%(cost)s, %(starting_credits)s, %(max_hours)s, %(horizon_days)s,
                               %(checkin_grace_minutes)s, %(no_show_owner_share)s)
    AS policy

-- name: admin_ledger
SELECT parkshare.admin_ledger(%(user_id)s, %(before)s, %(limit)s) AS entries

-- name: admin_audit
SELECT parkshare.admin_audit(%(action)s, %(before)s, %(limit)s) AS entries

-- name: admin_utilization
SELECT parkshare.admin_utilization(%(start)s, %(end)s) AS utilization

-- name: sso_settings
SELECT parkshare.sso_settings() AS sso

-- name: set_sso
SELECT parkshare.set_sso(%(issuer)s, %(client_id)s, %(client_secret)s, %(clear_client_secret)s,
                         %(email_domain)s, %(required_group)s) AS sso

-- name: remove_sso
SELECT parkshare.remove_sso()

-- name: recurring_summaries
-- What each recurring spot's card says, for any resident of the building: one object by spot
-- id (the garage screen asks for it beside list-spots; the patterns stay their owners').
SELECT coalesce(jsonb_object_agg(r.spot_id, r.summary), '{}'::jsonb) AS summaries
FROM parkshare.recurring_summaries(ARRAY(
    SELECT s.id FROM parkshare.spots s WHERE s.building_id = parkshare.ps_building())) r

-- name: patterns
-- The caller's own patterns (the owner policy shows no one else's), oldest first.
SELECT jsonb_build_object('patterns', coalesce(
           jsonb_agg(parkshare.ps_pattern_json(p) ORDER BY p.created_at, p.id), '[]'::jsonb))
       AS patterns
FROM parkshare.patterns p
WHERE p.building_id = parkshare.ps_building() AND p.owner_id = parkshare.ps_user()

-- name: notifications
-- The caller's own, newest first (the procedure checks limit).
SELECT parkshare.my_notifications(%(before)s::bigint, %(limit)s::integer) AS notifications

-- name: notification_preferences
SELECT parkshare.notification_preferences() AS preferences

-- name: admin_deliveries
SELECT parkshare.admin_deliveries(%(state)s, %(limit)s) AS deliveries
-- name: create_webhook
SELECT parkshare.create_webhook(%(url)s, %(events)s, %(secret)s) AS webhook

-- name: admin_webhooks
SELECT parkshare.admin_webhooks() AS webhooks

-- name: delete_webhook
SELECT parkshare.delete_webhook(%(webhook_id)s)
-- name: make_request
SELECT parkshare.make_request(%(start)s, %(end)s) AS request

-- name: my_requests
SELECT parkshare.my_requests() AS requests

-- name: withdraw_request
SELECT parkshare.withdraw_request(%(request_id)s) AS request

-- name: checkin
SELECT parkshare.ps_reservation_json(r) AS reservation FROM parkshare.checkin(%(reservation_id)s) r
