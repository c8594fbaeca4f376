"""The application role may call exactly the procedures meant for it; everything else in the
schema (helpers, trigger functions, system procedures) is the owner's alone."""

from __future__ import annotations

import psycopg

from tests.conftest import TestDb

CALLABLE_BY_APP = {
    # context and formatting helpers the policies and views use; entering a context (and
    # checking the token's session) is every transaction's first statement
    "ps_enter",
    "ps_email_key",
    "ps_email_digest",
    "ps_building",
    "ps_user",
    "ps_iso",
    "ps_local_add_days",
    "ps_local_window",
    "ps_reservation_json",
    "ps_spot_json",
    "ps_pattern_json",
    # one per operation
    "add_spot",
    "set_availability",
    "spot_views",
    "spot_views_v2",
    "reserve",
    "reserve_request",
    # requests, check-in and the worker's no-shows and expiry
    "make_request",
    "my_requests",
    "withdraw_request",
    "expire_requests",
    "checkin",
    "mark_no_shows",
    # the garage map: the admin's plans and positions, the residents' reads
    "set_level_plan",
    "remove_level_plan",
    "place_spot",
    "unplace_spot",
    "garage_map",
    "level_plan",
    "cancel",
    "create_pattern",
    "pause_pattern",
    "stop_pattern",
    "recurring_summaries",
    "settle_due",
    "me_view",
    "create_user",
    "create_invite",
    "grant_credits",
    # built-in accounts (login and refresh run before any tenant context exists)
    "login_lookup",
    "revoke_refresh_token",
    "rehash_password",
    "sign_up",
    # the worker's jobs and the outbox publisher (system work, without a tenant context)
    "reservation_started",
    "reservation_ended",
    "sweep_due",
    "outbox_lock",
    "outbox_claim",
    "outbox_take",
    "outbox_waiting_in",
    "outbox_published",
    "outbox_waiting",
    "outbox_prune",
    "idempotency_prune",
    "next_moment",
    "remind_due",
    "first_reminder",
    "materialise_patterns",
    # sessions and the audit log
    "ps_session",
    "start_session",
    "refresh_session",
    "my_sessions",
    "revoke_session",
    "audit_security",
    # single sign-on (sso_config, sso_sign_in and sso_redeem are system work)
    "sso_settings",
    "set_sso",
    "remove_sso",
    "sso_config",
    "sso_sign_in",
    "sso_redeem",
    # the admin's work and the resident's own account
    "settle_building",
    "disable_user",
    "enable_user",
    "set_policy",
    "set_policy_v2",
    "admin_residents",
    "admin_ledger",
    "admin_audit",
    "admin_utilization",
    "export_reservations",
    "export_ledger",
    "export_utilization",
    "update_profile",
    "my_password_hash",
    "change_password",
    # the caller's own notifications and choices
    "my_notifications",
    "mark_notifications_read",
    "notification_preferences",
    "set_notification_preferences",
    # the caller's calendar feed URL (its generation and hash), and the feed at a token's hash
    "calendar_generation",
    "set_calendar",
    "calendar_feed",
    # the worker's mail sender (system work, refused in a tenant context), the admin's list
    "deliveries_claim",
    "delivery_sent",
    "delivery_failed",
    "delivery_release",
    "deliveries_skip",
    "admin_deliveries",
    # webhooks: the admin's (ps_admin decides) and the worker's delivery (system work)
    "create_webhook",
    "admin_webhooks",
    "delete_webhook",
    "webhook_claim",
    "webhook_attempted",
    "webhook_log_prune",
    # lobby displays: the admin's (ps_admin decides), the board at a token's hash, and the
    # relay's checks of a display's socket (refused in a tenant context)
    "create_display",
    "admin_displays",
    "revoke_display",
    "board_view",
    "display_open",
    "displays_live",
}


def test_the_app_role_executes_only_what_was_granted(database: TestDb) -> None:
    with psycopg.connect(database.admin_url) as conn:
        rows = conn.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'parkshare'"
            " AND has_function_privilege('parkshare_app', p.oid, 'EXECUTE')"
        ).fetchall()
    granted = {name for (name,) in rows}
    assert granted - CALLABLE_BY_APP == set(), "callable by the app but not meant to be"
    assert CALLABLE_BY_APP - granted == set(), "meant for the app but not granted"


def test_system_procedures_are_not_callable_by_the_app(database: TestDb) -> None:
    with psycopg.connect(database.app_url) as conn:
        for call in (
            "SELECT parkshare.create_building('X', 'UTC', 'x@example.test', NULL, 'X')",
            "SELECT parkshare.tg_immutable()",
        ):
            try:
                conn.execute(call)
            except psycopg.errors.InsufficientPrivilege:
                conn.rollback()
            else:
                raise AssertionError(f"the app role could run {call}")
