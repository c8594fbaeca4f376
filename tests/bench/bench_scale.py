"""`just bench-scale`: a real building's year, read the way the screens read it.

One fresh, migrated database (DATABASE_URL, else the embedded server) holds 10 buildings of
500 spots and 1,000 residents each (the spot owners among them), with 400 bookings per spot
over the past 365 days and the coming 30: 200,000 reservations per building, mostly settled,
some cancelled, the future ones booked, each inside an availability window of its spot, and
the ledger that a year of use leaves (starting grants, monthly allowances, every booking's
hold and its refund or payout). The owners offered their spots week by week in the past;
now every spot but every fifth is offered until 30 days from now (every fifth owner withdrew
the next two days, cancelling what was booked). One resident of the first building, owner
of a spot and a frequent parker, is the busy one whose `me` is timed. The fixture is
bulk-loaded as the superuser in two connections (see below), then checked: the schema is again
exactly the migrated one, every constraint was validated over the loaded rows, and what the
triggers would have enforced (money matching each status, balances matching the entries,
bookings inside windows) holds.

Then, through the real gateway (uvicorn, one worker process) as residents signed in with
real sessions, N sequential requests each after a warm-up: the garage view over its default
window, the garage over tomorrow 09:00-17:00 local with available spots only, GraphQL's
`FreeTomorrow` query (README), the busy resident's `me`, and `spot_views` called directly
as the app role in a transaction with the tenant context, as the functions run it.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from psycopg import sql
from psycopg.rows import DictRow
from psycopg.types.string import TextLoader

from parkshare.config import get_settings
from parkshare.identity.passwords import hash_password
from parkshare.store.db import admin_connect, app_connect, set_context
from parkshare.store.embedded import app_url_from_admin, resolve_urls, with_database
from parkshare.store.migrate import migrate
from parkshare.tokens import Principal, issue_access_token
from parkshare.windows import DEFAULT_SPAN as VIEW_SPAN
from tests.bench.bench_sql import fresh_database, percentile
from tests.conftest import TestDb
from tests.gateway.conftest import free_port, gateway_command, server_env, serving

ZONE = "Europe/Paris"
PAST = timedelta(days=365)
FUTURE = timedelta(days=30)
QUARTER = timedelta(minutes=15)
# The query README documents for "all free spots tomorrow 9-17".
FREE_TOMORROW = (
    "query FreeTomorrow($window: WindowInput!) { spots(window: $window, availableOnly: true)"
    " { label location owner { displayName } nextReservation { start end } } }"
)
# Access tokens live 10 minutes; a client refreshes before that, so does the bench.
TOKEN_REFRESH_SECONDS = 480


@dataclass(frozen=True)
class Shape:
    buildings: int
    spots: int
    bookings_per_spot: int

    @property
    def residents(self) -> int:
        return 2 * self.spots

    @property
    def slot_quarters(self) -> int:
        # Each booking of a spot lies in its own slot; the slots tile past and future.
        return (PAST + FUTURE) // QUARTER // self.bookings_per_spot


@dataclass(frozen=True)
class Fixture:
    building_id: uuid.UUID
    residents: list[uuid.UUID]
    busy: uuid.UUID
    busy_bookings: int
    counts: dict[str, int]
    callers: dict[str, Caller] = field(default_factory=dict)


@dataclass
class Caller:
    """A resident signed in with a real session; the token is re-issued before it expires."""

    user_id: uuid.UUID
    building_id: uuid.UUID
    session_id: uuid.UUID
    _token: str = ""
    _issued: float = 0.0

    def headers(self) -> dict[str, str]:
        if time.monotonic() - self._issued > TOKEN_REFRESH_SECONDS:
            principal = Principal(
                self.user_id, self.building_id, "resident", session_id=self.session_id
            )
            self._token = issue_access_token(principal)
            self._issued = time.monotonic()
        return {"Authorization": f"Bearer {self._token}"}


@dataclass
class Timing:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    detail: str = ""

    def line(self) -> str:
        p50, p95, p99 = (percentile(self.latencies_ms, q) for q in (50, 95, 99))
        return (
            f"{self.name:<20} requests={len(self.latencies_ms):>5}  p50={p50:8.2f} ms  "
            f"p95={p95:8.2f} ms  p99={p99:8.2f} ms" + (f"  [{self.detail}]" if self.detail else "")
        )


# --- the fixture ---------------------------------------------------------------------------
#
# Built as the superuser with session_replication_role = replica (no triggers, no foreign-key
# checks), on two connections at once ("lanes"; this machine has two cores). The big tables'
# indexes and constraints are dropped first, with the foreign keys that reference them, and
# made again after the load in their original order (so each table's indexes keep the order
# the migrations gave them, which decides which constraint reports a conflict first); each
# unique and exclusion constraint is validated over the loaded rows as it is made, each
# foreign key as it is added. What the triggers and the other foreign keys would have enforced
# is then checked by queries, and the schema compared with the migrated one.
#
# The longest part is rule 1's exclusion constraint over 1.86 million booked and settled
# reservations (a GiST index, built, then probed once per row): 40-45 s of one core here, on
# a server whose shared_buffers (128 MB) hold half of that index. While one lane builds the
# reservations' indexes, the other writes everything else, from a scratch copy of the
# bookings (the reservations table is locked while its constraints are added). In all, the
# build is some 130 s of CPU: about a minute on two idle cores, more when they are shared.

LANES = 2
# Past windows: the owner offered the spot week by week, each window covering that week's
# bookings with an hour to spare on either side (so no two windows touch).
GROUP_SLOTS = 7
SCRATCH = "ps_bench_load"
BIG_TABLES = ("reservations", "ledger_entries", "availability")

SETUP = """
CREATE SCHEMA ps_bench_load;
CREATE TABLE ps_bench_load.buildings AS
SELECT b, b % p.lanes AS lane, gen_random_uuid() AS building_id, gen_random_uuid() AS escrow,
       gen_random_uuid() AS issuance
FROM ps_bench_load.params p, generate_series(0, p.buildings - 1) AS b;
INSERT INTO parkshare.buildings (id, name, timezone, created_at)
SELECT bb.building_id, 'Bench Tower ' || (bb.b + 1), p.zone, p.t0 - interval '60 days'
FROM ps_bench_load.buildings bb, ps_bench_load.params p ORDER BY bb.b;
INSERT INTO parkshare.accounts (id, building_id, kind)
SELECT escrow, building_id, 'escrow' FROM ps_bench_load.buildings
UNION ALL SELECT issuance, building_id, 'issuance' FROM ps_bench_load.buildings;
CREATE TABLE ps_bench_load.users AS
SELECT bb.b, bb.lane, i, bb.building_id, gen_random_uuid() AS user_id,
       gen_random_uuid() AS account
FROM ps_bench_load.buildings bb, ps_bench_load.params p, generate_series(0, p.residents - 1) AS i;
CREATE UNIQUE INDEX ON ps_bench_load.users (b, i);
CREATE UNIQUE INDEX ON ps_bench_load.users (user_id);
INSERT INTO parkshare.users (id, building_id, email, password_hash, display_name, role, created_at)
SELECT u.user_id, u.building_id, format('resident%s.b%s@bench.parkshare.test', u.i, u.b),
       p.password_hash, 'Resident ' || u.i, CASE WHEN u.i = 0 THEN 'admin' ELSE 'resident' END,
       p.t0 - interval '45 days'
FROM ps_bench_load.users u, ps_bench_load.params p ORDER BY u.b, u.i;
-- What the users trigger does for each: an account (its balance set from the entries at the
-- end) and the starting grant (written with the ledger).
INSERT INTO parkshare.accounts (id, building_id, kind, user_id, balance)
SELECT account, building_id, 'user', user_id, 0 FROM ps_bench_load.users ORDER BY b, i;
CREATE TABLE ps_bench_load.spots AS
SELECT u.b, u.lane, u.i AS s, u.building_id, gen_random_uuid() AS spot_id, u.user_id AS owner_id
FROM ps_bench_load.users u, ps_bench_load.params p WHERE u.i < p.spots ORDER BY u.b, u.i;
CREATE UNIQUE INDEX ON ps_bench_load.spots (spot_id);
INSERT INTO parkshare.spots (id, building_id, owner_id, label, location, notes, created_at)
SELECT sp.spot_id, sp.building_id, sp.owner_id, 'P' || lpad((sp.s + 1)::text, 3, '0'),
       'Level -' || (sp.s / 100 + 1), CASE WHEN sp.s % 7 = 0 THEN 'Compact cars only' END,
       p.t0 - interval '40 days' + sp.s * interval '1 minute'
FROM ps_bench_load.spots sp, ps_bench_load.params p ORDER BY sp.b, sp.s;
ANALYZE ps_bench_load.params;
ANALYZE ps_bench_load.buildings;
ANALYZE ps_bench_load.users;
ANALYZE ps_bench_load.spots;
-- Booking k of a spot lies in slot k. Every generated value is a hash of the booking's
-- number; times are counted in seconds from the Unix epoch, each step in a subquery of its
-- own (OFFSET 0) so that none is computed twice. The rows come
-- slot by slot, as bookings accumulate over a year: no spot's bookings lie together in the
-- table. Only the buildings of the lanes in ps_bench.lanes.
CREATE VIEW ps_bench_load.plan AS
SELECT t.b, t.s, t.k, t.id, t.building_id, t.spot_id, t.owner_id, pu.user_id,
       to_timestamp(t.lower_s) AS lower_at, to_timestamp(t.upper_s) AS upper_at, t.status,
       to_timestamp(t.created_s) AS created_at,
       CASE WHEN t.status = 'cancelled'
            THEN to_timestamp(t.created_s + (least(t.lower_s, t.at_s) - t.created_s) / 2)
       END AS cancelled_at,
       CASE WHEN t.status = 'cancelled'
            THEN CASE WHEN t.withdrawn THEN t.owner_id ELSE pu.user_id END END AS cancelled_by,
       CASE WHEN t.status = 'settled' THEN to_timestamp(least(t.upper_s + 20, t.at_s))
       END AS settled_at
FROM (
    -- Booked up to a week ahead, and at most as far ahead as the horizon allows.
    SELECT l4.*,
           CASE WHEN l4.withdrawn THEN 'cancelled'
                WHEN l4.upper_s <= l4.at_s THEN
                    CASE WHEN l4.roll < 7 THEN 'cancelled' ELSE 'settled' END
                WHEN l4.lower_s <= l4.at_s THEN 'booked'
                WHEN l4.roll < 4 THEN 'cancelled'
                ELSE 'booked' END AS status,
           greatest(least(l4.lower_s - l4.lead_s, l4.at_s - l4.age_s),
                    l4.lower_s - 30 * 86400 + 7200) AS created_s
    FROM (
        SELECT l3.*, l3.t0_s + 900 * l3.lower_q AS lower_s,
               l3.t0_s + 900 * (l3.lower_q + l3.dur_q) AS upper_s
        FROM (
            -- A booking starts at least 5 quarters into its slot and ends 5 before its end.
            SELECT l2.*, l2.k * l2.slot_q + 5 + l2.h2 % (l2.slot_q - 9 - l2.dur_q) AS lower_q
            FROM (
                SELECT l1.*, 2 + l1.h1 % (l1.max_q - 1) AS dur_q,
                       3600 + 900 * (l1.h3 % 672) AS lead_s, 60 + 60 * (l1.h4 % 10080) AS age_s,
                       l1.h5 % 100 AS roll, gen_random_uuid() AS id
                FROM (
                    SELECT sp.b, sp.s, sp.building_id, sp.spot_id, sp.owner_id, k,
                           p.residents, p.slot_q, p.max_q,
                           extract(epoch FROM p.t0)::bigint AS t0_s,
                           extract(epoch FROM p.at)::bigint AS at_s,
                           hashint8(sp.hash_base + 1)::bigint + 2147483648 AS h1,
                           hashint8(sp.hash_base + 2)::bigint + 2147483648 AS h2,
                           hashint8(sp.hash_base + 3)::bigint + 2147483648 AS h3,
                           hashint8(sp.hash_base + 4)::bigint + 2147483648 AS h4,
                           hashint8(sp.hash_base + 5)::bigint + 2147483648 AS h5,
                           (sp.s % 5 = 0 AND k IN (p.kc, p.kc + 1)) AS withdrawn
                    FROM ps_bench_load.params p
                    CROSS JOIN generate_series(0, p.per_spot - 1) AS k
                    CROSS JOIN LATERAL (
                        SELECT sp.*, ((sp.b::bigint * p.spots + sp.s) * p.per_spot + k) * 8
                                     AS hash_base
                        FROM ps_bench_load.spots sp
                        WHERE sp.lane = ANY (string_to_array(current_setting('ps_bench.lanes'),
                                                             ',')::int[])
                        OFFSET 0) sp
                    OFFSET 0) l1
                OFFSET 0) l2
            OFFSET 0) l3
        OFFSET 0) l4
    OFFSET 0) t
-- Within one slot the spots have different parkers, and slots never overlap: nobody holds
-- two bookings at once (rule 2), and nobody parks in their own spot (rule 4).
JOIN ps_bench_load.users pu ON pu.b = t.b
 AND pu.i = (t.s + 1 + (t.k::bigint * 7919) % (t.residents - 1)) % t.residents;
-- With the accounts each booking's money moves between, and kept (unlogged, dropped at the
-- end) for the ledger, which one lane writes while the other makes the reservations' indexes.
CREATE VIEW ps_bench_load.plan_accounts AS
SELECT pl.*, b.cost, pu.account AS user_account, ow.account AS owner_account, bb.escrow,
       bb.issuance, adm.user_id AS admin_id
FROM ps_bench_load.plan pl
JOIN parkshare.buildings b ON b.id = pl.building_id
JOIN ps_bench_load.buildings bb ON bb.b = pl.b
JOIN ps_bench_load.users pu ON pu.user_id = pl.user_id
JOIN ps_bench_load.users ow ON ow.user_id = pl.owner_id
JOIN ps_bench_load.users adm ON adm.b = pl.b AND adm.i = 0;
CREATE UNLOGGED TABLE ps_bench_load.bookings AS SELECT * FROM ps_bench_load.plan_accounts
WITH NO DATA
"""

KEEP_BOOKINGS = """
INSERT INTO ps_bench_load.bookings SELECT * FROM ps_bench_load.plan_accounts
"""
RESERVATIONS = """
INSERT INTO parkshare.reservations (id, building_id, spot_id, owner_id, user_id, period, status,
                                    cost, created_at, cancelled_at, cancelled_by, settled_at)
SELECT id, building_id, spot_id, owner_id, user_id, tstzrange(lower_at, upper_at, '[)'), status,
       cost, created_at, cancelled_at, cancelled_by, settled_at
FROM ps_bench_load.bookings
WHERE b % (SELECT lanes FROM ps_bench_load.params)
      = ANY (string_to_array(current_setting('ps_bench.lanes'), ',')::int[])
"""

# Everything but the reservations, from the bookings kept while they were made.
WINDOWS_AND_LEDGER = """
WITH windows AS (
    -- Past: a window a week, around that week's bookings. Now: one window until 30 days from
    -- now, except on every fifth spot, whose owner withdrew the coming two days (which
    -- cancelled what was booked there) and offers the rest.
    INSERT INTO parkshare.availability (building_id, spot_id, period)
    SELECT building_id, spot_id, period FROM (
        SELECT pl.building_id, pl.spot_id,
               tstzrange(min(pl.lower_at) - interval '1 hour',
                         max(pl.upper_at) + interval '1 hour', '[)') AS period
        FROM ps_bench_load.bookings pl CROSS JOIN ps_bench_load.params p
        WHERE pl.k < p.kc
        GROUP BY pl.building_id, pl.spot_id, pl.k / p.group_slots
        UNION ALL
        SELECT sp.building_id, sp.spot_id,
               tstzrange(p.t0 + (p.kc + CASE WHEN sp.s % 5 = 0 THEN 2 ELSE 0 END)
                                * p.slot_q * interval '15 minutes',
                         p.window_end, '[)')
        FROM ps_bench_load.spots sp, ps_bench_load.params p
        WHERE p.kc + CASE WHEN sp.s % 5 = 0 THEN 2 ELSE 0 END < p.per_spot
    ) w ORDER BY lower(period)
)
-- In time order, as a year of use writes them: each user's starting grant (what the users
-- trigger writes), the admin's monthly allowance covering what they booked that month, each
-- booking's hold, then its refund or payout. The ids are given (the sequence is set after)
-- rather than drawn one by one.
INSERT INTO parkshare.ledger_entries (id, building_id, from_account, to_account, amount, kind,
                                      reservation_id, reason, created_by, created_at)
OVERRIDING SYSTEM VALUE
SELECT row_number() OVER (ORDER BY created_at), building_id, from_account, to_account, amount,
       kind, reservation_id, reason, created_by, created_at
FROM (
    SELECT u.building_id, bb.issuance AS from_account, u.account AS to_account,
           bl.starting_credits::bigint AS amount, 'grant' AS kind, NULL::uuid AS reservation_id,
           'starting credits' AS reason, NULL::uuid AS created_by, us.created_at
    FROM ps_bench_load.users u
    JOIN ps_bench_load.buildings bb USING (b)
    JOIN parkshare.buildings bl ON bl.id = u.building_id
    JOIN parkshare.users us ON us.id = u.user_id
    WHERE bl.starting_credits > 0
    UNION ALL
    SELECT pl.building_id, pl.issuance, pl.user_account, sum(pl.cost), 'adjustment', NULL,
           'monthly allowance', pl.admin_id,
           date_trunc('month', pl.created_at AT TIME ZONE p.zone) AT TIME ZONE p.zone
    FROM ps_bench_load.bookings pl CROSS JOIN ps_bench_load.params p
    WHERE pl.status <> 'cancelled'
    GROUP BY 1, 2, 3, 8, 9
    UNION ALL
    SELECT pl.building_id, e.from_account, e.to_account, pl.cost, e.kind, pl.id, NULL,
           e.created_by, e.created_at
    FROM ps_bench_load.bookings pl
    CROSS JOIN LATERAL (VALUES
        (pl.user_account, pl.escrow, 'hold', pl.user_id, pl.created_at),
        (pl.escrow, pl.user_account, 'refund', pl.cancelled_by, pl.cancelled_at),
        (pl.escrow, pl.owner_account, 'payout', NULL, pl.settled_at)
    ) AS e (from_account, to_account, kind, created_by, created_at)
    WHERE e.kind = 'hold' OR (e.kind = 'refund') = (pl.status = 'cancelled')
                             AND pl.status <> 'booked'
) x
ORDER BY created_at
"""

AFTER_LEDGER: list[tuple[str, str]] = [
    (
        "audit",
        """
        -- grant_credits writes each allowance to the audit log.
        INSERT INTO parkshare.audit_log (building_id, at, actor_id, action, subject_id, detail)
        SELECT l.building_id, l.created_at, l.created_by, 'admin.credits_adjusted', a.user_id,
               jsonb_build_object('entry_id', l.id, 'amount', l.amount, 'reason', l.reason)
        FROM parkshare.ledger_entries l JOIN parkshare.accounts a ON a.id = l.to_account
        WHERE l.kind = 'adjustment' ORDER BY l.id
        """,
    ),
    (
        "ledger sequence",
        """
        SELECT setval(pg_get_serial_sequence('parkshare.ledger_entries', 'id'), max(id))
        FROM parkshare.ledger_entries
        """,
    ),
    (
        "balances",
        """
        -- What the ledger trigger keeps: each user's balance, from their entries.
        UPDATE parkshare.accounts a SET balance = m.total
        FROM (
            SELECT account, sum(amount) AS total FROM (
                SELECT to_account AS account, amount FROM parkshare.ledger_entries
                UNION ALL
                SELECT from_account, -amount FROM parkshare.ledger_entries) x
            GROUP BY account) m
        WHERE a.id = m.account AND a.kind = 'user'
        """,
    ),
    # Hint bits and the visibility map, as autovacuum would have left them (the heap only:
    # the indexes come next).
    ("vacuum availability", "VACUUM parkshare.availability"),
    ("vacuum ledger", "VACUUM parkshare.ledger_entries"),
]

# What "the migrated schema" is, in terms that survive dropping and re-creating an object:
# columns, constraints (and whether they are validated), indexes (and their order on the
# table, which decides which constraint reports a conflict first), triggers and whether they
# are enabled, row-level security and policies.
SCHEMA_FINGERPRINT = """
SELECT 'column' AS what, c.relname AS tbl, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull || ' identity='
       || a.attidentity::text || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
       AS def
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace = 'parkshare'::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0
  AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', c.relname, con.conname,
       pg_get_constraintdef(con.oid) || ' validated=' || con.convalidated
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
WHERE c.relnamespace = 'parkshare'::regnamespace
UNION ALL
SELECT 'index', c.relname, ic.relname,
       pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid || ' ready=' || i.indisready
       || ' position=' || row_number() OVER (PARTITION BY i.indrelid ORDER BY i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE c.relnamespace = 'parkshare'::regnamespace
UNION ALL
SELECT 'trigger', c.relname, t.tgname,
       pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'parkshare'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT 'table', c.relname, '', 'rls=' || c.relrowsecurity || ' forced=' || c.relforcerowsecurity
FROM pg_class c WHERE c.relnamespace = 'parkshare'::regnamespace AND c.relkind = 'r'
UNION ALL
SELECT 'policy', c.relname, p.polname,
       p.polcmd::text || ' ' || p.polroles::text || ' '
       || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' '
       || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace = 'parkshare'::regnamespace
ORDER BY 1, 2, 3, 4
"""

# The big tables' indexes in creation order, with their definitions, and the foreign keys
# that reference them (which must go while they are away).
BIG_TABLE_INDEXES = """
SELECT i.indrelid::regclass::text AS tbl, i.indexrelid::regclass::text AS index_name,
       con.conname AS name, pg_get_constraintdef(con.oid) AS def,
       pg_get_indexdef(i.indexrelid) AS index_def
FROM pg_index i
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
 AND con.contype IN ('p', 'u', 'x')
WHERE i.indrelid = ANY(%(tables)s::regclass[])
ORDER BY i.indrelid, i.indexrelid
"""
REFERENCING_FOREIGN_KEYS = """
SELECT con.conrelid::regclass::text AS tbl, con.conname AS name,
       pg_get_constraintdef(con.oid) AS def
FROM pg_constraint con
JOIN pg_index i ON i.indexrelid = con.conindid
WHERE con.contype = 'f' AND i.indrelid = ANY(%(tables)s::regclass[])
ORDER BY con.oid
"""

# Every foreign key of the schema, column by column, to check each by a query as
# PostgreSQL does when one is added (the load inserted with the checks off).
FOREIGN_KEYS = """
SELECT con.conname AS name, con.conrelid::regclass::text AS child,
       con.confrelid::regclass::text AS parent,
       array_agg(ca.attname ORDER BY k.n) AS child_columns,
       array_agg(pa.attname ORDER BY k.n) AS parent_columns
FROM pg_constraint con
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(child_col, parent_col, n)
JOIN pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = k.child_col
JOIN pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = k.parent_col
WHERE con.contype = 'f' AND con.connamespace = 'parkshare'::regnamespace
GROUP BY con.oid, con.conname, con.conrelid, con.confrelid
ORDER BY con.oid
"""

# What the triggers would have refused had they run during the load; each counts
# violations, and must answer 0.
CHECKS: dict[str, str] = {
    "reservations whose money does not match their status (rules 6, 8, 9)": """
        SELECT count(*) FROM parkshare.reservations r
        JOIN parkshare.accounts ua ON ua.user_id = r.user_id AND ua.kind = 'user'
        JOIN parkshare.accounts oa ON oa.user_id = r.owner_id AND oa.kind = 'user'
        JOIN parkshare.accounts esc ON esc.building_id = r.building_id AND esc.kind = 'escrow'
        LEFT JOIN parkshare.ledger_entries h ON h.reservation_id = r.id AND h.kind = 'hold'
        LEFT JOIN parkshare.ledger_entries x ON x.reservation_id = r.id
         AND x.kind IN ('refund', 'payout')
        WHERE r.cost > 0 AND NOT coalesce(
            h.amount = r.cost AND h.from_account = ua.id AND h.to_account = esc.id
            AND CASE r.status
                WHEN 'booked' THEN x.id IS NULL
                WHEN 'cancelled' THEN x.kind = 'refund' AND x.amount = r.cost
                     AND x.from_account = esc.id AND x.to_account = ua.id
                ELSE x.kind = 'payout' AND x.amount = r.cost
                     AND x.from_account = esc.id AND x.to_account = oa.id END, false)
    """,
    "money that does not add up: balances, escrow, issuance (rule 11)": """
        WITH moves AS (
            SELECT account, sum(amount) AS total FROM (
                SELECT to_account AS account, amount FROM parkshare.ledger_entries
                UNION ALL
                SELECT from_account, -amount FROM parkshare.ledger_entries) x
            GROUP BY account),
        booked AS (
            SELECT building_id, sum(cost) AS held FROM parkshare.reservations
            WHERE status = 'booked' GROUP BY building_id),
        issued AS (
            SELECT building_id, sum(amount) AS issued FROM parkshare.ledger_entries
            WHERE kind IN ('grant', 'adjustment') GROUP BY building_id)
        SELECT count(*) FROM parkshare.accounts a
        LEFT JOIN moves m ON m.account = a.id
        LEFT JOIN booked b ON b.building_id = a.building_id
        LEFT JOIN issued i ON i.building_id = a.building_id
        WHERE CASE a.kind
            WHEN 'user' THEN a.balance IS DISTINCT FROM coalesce(m.total, 0)
            WHEN 'escrow' THEN coalesce(m.total, 0) <> coalesce(b.held, 0)
            ELSE coalesce(-m.total, 0) <> coalesce(i.issued, 0) END
    """,
    "reservations breaking the policy or their lifecycle (rules 5, 8, 9)": """
        SELECT count(*) FROM parkshare.reservations r
        JOIN parkshare.buildings b ON b.id = r.building_id
        WHERE r.cost <> b.cost
           OR upper(r.period) - lower(r.period) > make_interval(hours => b.max_hours)
           OR r.created_at > lower(r.period) + interval '5 minutes'
           OR lower(r.period) > parkshare.ps_local_add_days(r.created_at, b.horizon_days,
                                                            b.timezone)
           OR (r.status = 'cancelled') <> (r.cancelled_at IS NOT NULL)
           OR r.cancelled_at >= lower(r.period) OR r.cancelled_at < r.created_at
           OR r.cancelled_by NOT IN (r.user_id, r.owner_id)
           OR (r.status = 'settled') <> (r.settled_at IS NOT NULL)
           OR r.settled_at < upper(r.period)
    """,
    "booked reservations outside every window of their spot (rules 3, 10)": """
        SELECT count(*) FROM parkshare.reservations r
        WHERE r.status = 'booked' AND NOT EXISTS (
            SELECT 1 FROM parkshare.availability a
            WHERE a.spot_id = r.spot_id
              AND tstzrange(lower(a.period), upper(a.period), '[]') @> r.period
              AND a.period @> r.period)
    """,
    "users without their account and starting grant (rule 7)": """
        SELECT count(*) FROM parkshare.users u
        JOIN parkshare.buildings b ON b.id = u.building_id
        JOIN parkshare.accounts iss ON iss.building_id = u.building_id AND iss.kind = 'issuance'
        LEFT JOIN parkshare.accounts a ON a.user_id = u.id AND a.kind = 'user'
        WHERE NOT EXISTS (
            SELECT 1 FROM parkshare.ledger_entries l
            WHERE l.kind = 'grant' AND l.to_account = a.id AND l.from_account = iss.id
              AND l.amount = b.starting_credits)
    """,
    "events left in the outbox (the load writes none)": "SELECT count(*) FROM parkshare.outbox",
}


def _connect_lane(admin_url: str, lanes: str) -> psycopg.Connection[DictRow]:
    conn = admin_connect(admin_url)
    for setting in (
        "SET session_replication_role = replica",
        "SET jit = off",
        "SET synchronous_commit = off",
        "SET work_mem = '1GB'",
        "SET maintenance_work_mem = '1GB'",
        "SET max_parallel_maintenance_workers = 0",
        # A GiST index larger than this is built with buffers (it is: about 2 s sooner).
        "SET effective_cache_size = '64MB'",
    ):
        conn.execute(setting)
    conn.execute("SELECT set_config('ps_bench.lanes', %s, false)", (lanes,))
    return conn


def _in_lanes(
    admin_url: str,
    work: list[tuple[str, list[tuple[str, str]]]],
    log: dict[str, float] | None = None,
) -> list[tuple[str, int]]:
    """Each (lanes, [(name, statement)]) on its own connection, side by side; answers each
    statement's first value where it returns one (the checks' counts)."""
    answers: list[tuple[str, int]] = []
    failures: list[BaseException] = []

    def run(lanes: str, steps: list[tuple[str, str]]) -> None:
        try:
            with _connect_lane(admin_url, lanes) as conn:
                for name, statement in steps:
                    began = time.perf_counter()
                    cursor = conn.execute(statement)
                    if cursor.description is not None:
                        row = cursor.fetchone()
                        answers.append((name, int(next(iter(row.values()))) if row else -1))
                    if log is not None:
                        log[name] = time.perf_counter() - began
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=lane) for lane in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return answers


def _foreign_key_checks(conn: psycopg.Connection[DictRow]) -> list[tuple[str, str]]:
    """One query per foreign key counting the rows it would refuse (MATCH SIMPLE: a row with
    a NULL in the key is not checked), as PostgreSQL's own check when a key is added."""
    checks = []
    for fk in conn.execute(FOREIGN_KEYS):
        child = [sql.Identifier("c", col) for col in fk["child_columns"]]
        parent = [sql.Identifier("p", col) for col in fk["parent_columns"]]
        query = sql.SQL(
            "SELECT count(*) FROM {child} c WHERE {not_null}"
            " AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
        ).format(
            child=sql.SQL(fk["child"]),
            parent=sql.SQL(fk["parent"]),
            not_null=sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(c) for c in child),
            match=sql.SQL(" AND ").join(
                sql.SQL("{} = {}").format(p, c) for p, c in zip(parent, child, strict=True)
            ),
        )
        checks.append((f"rows breaking foreign key {fk['name']}", query.as_string(conn)))
    return checks


def build_fixture(admin_url: str, shape: Shape) -> Fixture:
    if shape.slot_quarters < 12:
        raise SystemExit("too many bookings per spot: each needs a slot of at least 3 hours")
    at = datetime.now(UTC).replace(microsecond=0)
    slot = shape.slot_quarters * QUARTER
    window_end = at.replace(minute=0, second=0) + FUTURE + timedelta(hours=1)
    # The last slot ends a few hours before the horizon, so that every booking could have
    # been made at most 30 days ahead, daylight saving changes included.
    t0 = window_end - timedelta(hours=4) - shape.bookings_per_spot * slot
    params = {
        "lanes": LANES,
        "buildings": shape.buildings,
        "spots": shape.spots,
        "residents": shape.residents,
        "per_spot": shape.bookings_per_spot,
        "slot_q": shape.slot_quarters,
        "max_q": min(32, shape.slot_quarters - 10),
        "kc": (at - t0) // slot,
        "group_slots": GROUP_SLOTS,
        "at": at,
        "t0": t0,
        "window_end": window_end,
        "zone": ZONE,
        "password_hash": hash_password("parkshare-bench"),
    }
    every_lane = ",".join(str(lane) for lane in range(LANES))
    began = time.perf_counter()
    log: dict[str, float] = {}
    with _connect_lane(admin_url, every_lane) as conn:
        conn.execute("SET search_path = pg_catalog")
        before = conn.execute(SCHEMA_FINGERPRINT).fetchall()
        statements = SETUP.split(";\n")
        conn.execute(statements[0])
        conn.execute(
            """
            CREATE TABLE ps_bench_load.params AS SELECT
                %(lanes)s::int AS lanes, %(buildings)s::int AS buildings,
                %(spots)s::int AS spots, %(residents)s::int AS residents,
                %(per_spot)s::int AS per_spot, %(slot_q)s::int AS slot_q,
                %(max_q)s::int AS max_q, %(kc)s::int AS kc, %(group_slots)s::int AS group_slots,
                %(at)s::timestamptz AS at, %(t0)s::timestamptz AS t0,
                %(window_end)s::timestamptz AS window_end, %(zone)s::text AS zone,
                %(password_hash)s::text AS password_hash
            """,
            params,
        )
        for statement in statements[1:]:
            conn.execute(statement)
        # The big tables' indexes and constraints go, with the foreign keys that need them.
        tables = {t: f"parkshare.{t}" for t in BIG_TABLES}
        indexes = conn.execute(BIG_TABLE_INDEXES, {"tables": list(tables.values())}).fetchall()
        referencing = conn.execute(
            REFERENCING_FOREIGN_KEYS, {"tables": list(tables.values())}
        ).fetchall()
        for fk in referencing:
            conn.execute(f'ALTER TABLE {fk["tbl"]} DROP CONSTRAINT "{fk["name"]}"')
        for ix in indexes:
            if ix["name"] is not None:
                conn.execute(f'ALTER TABLE {ix["tbl"]} DROP CONSTRAINT "{ix["name"]}"')
            else:
                conn.execute(f"DROP INDEX {ix['index_name']}")
        remake = {
            table: [
                (
                    ix["index_name"],
                    f'ALTER TABLE {ix["tbl"]} ADD CONSTRAINT "{ix["name"]}" {ix["def"]}'
                    if ix["name"] is not None
                    else ix["index_def"],
                )
                for ix in indexes
                if ix["tbl"] == qualified
            ]
            for table, qualified in tables.items()
        }
        set_up = time.perf_counter()

        # The reservations, half the buildings on each lane.
        _in_lanes(
            admin_url,
            [
                (
                    str(lane),
                    [(f"bookings {lane}", KEEP_BOOKINGS), (f"reservations {lane}", RESERVATIONS)],
                )
                for lane in range(LANES)
            ],
            log,
        )
        rows_in = time.perf_counter()
        # One lane: the reservations' indexes and constraints (rule 1's the longest part).
        # The other: the windows and the ledger (from the bookings), the audit log, balances and
        # their indexes.
        reservation_indexes = [
            ("vacuum reservations", "VACUUM parkshare.reservations"),
            *remake["reservations"],
        ]
        the_rest = [
            ("windows and ledger", WINDOWS_AND_LEDGER),
            *AFTER_LEDGER,
            *remake["availability"],
            *remake["ledger_entries"],
        ]
        _in_lanes(admin_url, [(every_lane, reservation_indexes), (every_lane, the_rest)], log)
        loaded = time.perf_counter()

        # The foreign keys that went, validated as they come back, beside the checks (the
        # first, the longest, on the other lane).
        checks = list(CHECKS.items()) + _foreign_key_checks(conn)
        restore = [
            (fk["name"], f'ALTER TABLE {fk["tbl"]} ADD CONSTRAINT "{fk["name"]}" {fk["def"]}')
            for fk in referencing
        ]
        answers = _in_lanes(
            admin_url, [(every_lane, restore + checks[1::2]), (every_lane, checks[0::2])]
        )
        broken = [f"{name}: {n}" for name, n in answers if n != 0]
        if broken or len(answers) != len(checks):
            raise SystemExit("fixture broken: " + "; ".join(broken or ["a check did not run"]))
        checked = time.perf_counter()

        conn.execute(f"DROP SCHEMA {SCRATCH} CASCADE")
        conn.execute("ANALYZE")
        after = conn.execute(SCHEMA_FINGERPRINT).fetchall()
        if after != before:
            changed = [r for r in after if r not in before] + [r for r in before if r not in after]
            raise SystemExit(f"the schema differs from the migrated one: {changed[:10]}")
        analyzed = time.perf_counter()

        counts = {
            str(r["status"]): int(r["n"])
            for r in conn.execute(
                "SELECT status, count(*) AS n FROM parkshare.reservations GROUP BY status"
            )
        }
        for table in ("availability", "ledger_entries", "users", "spots"):
            row = conn.execute(f"SELECT count(*) AS n FROM parkshare.{table}").fetchone()
            counts[table] = int(row["n"]) if row else 0
        building = conn.execute(
            "SELECT id FROM parkshare.buildings WHERE name = 'Bench Tower 1'"
        ).fetchone()
        assert building is not None
        # Resident i of the first building, by the address the load gave them.
        residents = {
            int(str(r["email"]).split(".")[0].removeprefix("resident")): r["id"]
            for r in conn.execute(
                "SELECT id, email FROM parkshare.users WHERE building_id = %s",
                (building["id"],),
            )
        }
        # Resident 1 owns spot P002 and parks often: bookings, payouts and allowances.
        busy = conn.execute(
            "SELECT count(*) AS n FROM parkshare.reservations WHERE user_id = %s",
            (residents[1],),
        ).fetchone()
        assert busy is not None
    total = time.perf_counter() - began
    booked = sum(counts.get(s, 0) for s in ("booked", "cancelled", "settled"))
    print(
        f"fixture: {shape.buildings} buildings x {shape.spots} spots x {shape.residents}"
        f" residents; {booked:,} reservations (settled {counts.get('settled', 0):,}, cancelled"
        f" {counts.get('cancelled', 0):,}, booked {counts.get('booked', 0):,}),"
        f" {counts['availability']:,} availability windows,"
        f" {counts['ledger_entries']:,} ledger entries",
        flush=True,
    )
    lane_a = sum(log[name] for name, _ in reservation_indexes)
    lane_b = sum(log[name] for name, _ in the_rest)
    rule_1 = log.get("parkshare.reservations_spot_free", 0.0)
    print(
        f"built in {total:.1f} s: set-up {set_up - began:.1f} s; bookings and reservations"
        f" {rows_in - set_up:.1f} s ({LANES} lanes); the reservations' indexes {lane_a:.1f} s"
        f" (rule 1's exclusion {rule_1:.1f} s) beside windows, ledger, audit log, balances and"
        f" their indexes {lane_b:.1f} s; {len(checks)} checks and foreign keys"
        f" {checked - loaded:.1f} s; analyze {analyzed - checked:.1f} s",
        flush=True,
    )
    return Fixture(
        building_id=building["id"],
        residents=[residents[i] for i in range(len(residents))],
        busy=residents[1],
        busy_bookings=int(busy["n"]),
        counts=counts,
    )


# --- the timings ---------------------------------------------------------------------------


def sign_in(app_url: str, building_id: uuid.UUID, user: uuid.UUID) -> Caller:
    """A session of `user`, begun by the procedure a login calls, in a transaction as the
    functions run one (no tenant context yet: the login names no building)."""
    session = uuid.uuid4()
    with app_connect(app_url) as conn, conn.transaction():
        set_context(conn, None, None)
        conn.execute(
            "SELECT parkshare.start_session(%s, %s, %s, now() + interval '1 day', 'password',"
            " 'bench-scale', NULL)",
            (user, uuid.uuid4().hex, session),
        )
    return Caller(user, building_id, session)


def tomorrow_nine_to_five(zone: str) -> tuple[datetime, datetime]:
    """Tomorrow 09:00-17:00 in the building's zone (offsets included)."""
    local = ZoneInfo(zone)
    day: date = datetime.now(local).date() + timedelta(days=1)
    return (
        datetime.combine(day, dt_time(9), local),
        datetime.combine(day, dt_time(17), local),
    )


def time_http(
    client: httpx.Client,
    name: str,
    caller: Caller,
    send: Callable[[httpx.Client, dict[str, str]], httpx.Response],
    describe: Callable[[Any], str],
    requests: int,
    warmup: int,
) -> Timing:
    timing = Timing(name)
    body: Any = None
    for n in range(warmup + requests):
        headers = caller.headers()
        began = time.perf_counter()
        answer = send(client, headers)
        elapsed = (time.perf_counter() - began) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"{name}: HTTP {answer.status_code}: {answer.text[:500]}")
        if n >= warmup:
            timing.latencies_ms.append(elapsed)
        body = answer.json()
    timing.detail = describe(body)
    return timing


def _spot_views_sql(conn: psycopg.Connection[DictRow], caller: Caller) -> int:
    """The garage over the default window, as a function runs it: one transaction, the tenant
    context as shared/parkshare/store/db.py enters it, the call (every row fetched)."""
    start = datetime.now(UTC)
    with conn.pipeline(), conn.transaction():
        set_context(conn, caller.building_id, caller.user_id, caller.session_id)
        rows = conn.execute(
            "SELECT * FROM parkshare.spot_views_v2(%s, %s, false)", (start, start + VIEW_SPAN)
        ).fetchall()
    return len(rows)


def time_sql(app_url: str, caller: Caller, requests: int, warmup: int) -> Timing:
    timing = Timing("spot_views (SQL)")
    with app_connect(app_url) as conn:
        # The rows as text: the database's time, not the client's JSON parsing.
        for json_type in ("json", "jsonb"):
            conn.adapters.register_loader(json_type, TextLoader)
        count = 0
        for n in range(warmup + requests):
            began = time.perf_counter()
            count = _spot_views_sql(conn, caller)
            if n >= warmup:
                timing.latencies_ms.append((time.perf_counter() - began) * 1000)
    timing.detail = f"rows={count}"
    return timing


def explain_spot_views(app_url: str, caller: Caller) -> str:
    start = datetime.now(UTC)
    query = sql.SQL(
        "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM parkshare.spot_views_v2({}, {}, false)"
    ).format(sql.Literal(start), sql.Literal(start + VIEW_SPAN))
    with app_connect(app_url) as conn, conn.transaction():
        set_context(conn, caller.building_id, caller.user_id, caller.session_id)
        # Once first, so the plan shown is a warm one, as the timed calls are.
        conn.execute(query).fetchall()
        lines = [str(r["QUERY PLAN"]) for r in conn.execute(query)]
    return "\n".join(lines)


def share_weekly(admin_url: str, app_url: str, fx: Fixture, patterns: int) -> int:
    """`patterns` of the building's spots shared every weekday 08:00-18:00 by their owners,
    through the procedure `POST /fn/recurring` calls (its windows made up to the horizon, as
    the function makes them), so the garage is timed with recurring sharing in it. Spots
    that already have a pattern (a --reuse run) count toward the number."""
    with admin_connect(admin_url) as conn:
        rows = conn.execute(
            "SELECT s.id, s.owner_id, EXISTS (SELECT 1 FROM parkshare.patterns p"
            " WHERE p.building_id = s.building_id AND p.spot_id = s.id) AS shared"
            " FROM parkshare.spots s WHERE s.building_id = %s ORDER BY s.label LIMIT %s",
            (fx.building_id, patterns),
        ).fetchall()
    for row in (r for r in rows if not r["shared"]):
        owner = sign_in(app_url, fx.building_id, row["owner_id"])
        with app_connect(app_url) as conn, conn.transaction():
            set_context(conn, owner.building_id, owner.user_id, owner.session_id)
            conn.execute(
                "SELECT parkshare.create_pattern(%s, '{1,2,3,4,5}', '08:00', '18:00', 1,"
                " NULL, NULL)",
                (row["id"],),
            )
    return len(rows)


def run_timings(
    admin_url: str, app_url: str, fx: Fixture, requests: int, warmup: int
) -> list[Timing]:
    if requests < 1:
        return []
    callers = {
        name: sign_in(app_url, fx.building_id, user)
        for name, user in (
            ("list", fx.residents[2]),
            ("tomorrow", fx.residents[3]),
            ("graphql", fx.residents[4]),
            ("me", fx.busy),
            ("sql", fx.residents[5]),
        )
    }
    start, end = tomorrow_nine_to_five(ZONE)
    window = {"start": start.isoformat(), "end": end.isoformat()}
    urls = resolve_urls(get_settings())
    database = TestDb(admin_url=admin_url, app_url=app_url, name="")
    # One worker process, its pool at the default size: the requests come one at a time.
    port = free_port()
    command = [*gateway_command(port), "--no-access-log"]
    timings: list[Timing] = []

    def done(timing: Timing) -> None:
        timings.append(timing)
        print(timing.line(), flush=True)

    with (
        serving(command, server_env(database, urls.redis_url), port) as base,
        httpx.Client(base_url=base, timeout=120) as client,
    ):
        done(
            time_http(
                client,
                "list-spots",
                callers["list"],
                lambda c, h: c.get("/fn/list-spots", headers=h),
                lambda b: f"spots={len(b['spots'])}",
                requests,
                warmup,
            )
        )
        done(
            time_http(
                client,
                "list-spots tomorrow",
                callers["tomorrow"],
                lambda c, h: c.get(
                    "/fn/list-spots", params={**window, "available_only": "true"}, headers=h
                ),
                lambda b: f"free spots={len(b['spots'])}",
                requests,
                warmup,
            )
        )

        def graphql(c: httpx.Client, h: dict[str, str]) -> httpx.Response:
            body = {"query": FREE_TOMORROW, "variables": {"window": window}}
            answer = c.post("/fn/graphql", json=body, headers=h)
            if answer.status_code == 200 and answer.json().get("errors"):
                raise SystemExit(f"GraphQL: {answer.json()['errors']}")
            return answer

        done(
            time_http(
                client,
                "graphql FreeTomorrow",
                callers["graphql"],
                graphql,
                lambda b: f"spots={len(b['data']['spots'])}",
                requests,
                warmup,
            )
        )

        done(
            time_http(
                client,
                "recurring summaries",
                callers["graphql"],
                # What the garage screen asks beside list-spots for its cards' "Free weekdays".
                lambda c, h: c.get("/fn/recurring/summaries", headers=h),
                lambda b: f"recurring={len(b['summaries'])}",
                requests,
                warmup,
            )
        )
        done(
            time_http(
                client,
                "me (busy resident)",
                callers["me"],
                lambda c, h: c.get("/fn/me", headers=h),
                lambda b: (
                    f"bookings={fx.busy_bookings} upcoming={len(b['reservations']['upcoming'])}"
                    f" past={len(b['reservations']['past'])} ledger={len(b['ledger'])}"
                    f" credits={b['credits']}"
                ),
                requests,
                warmup,
            )
        )
    timings.append(time_sql(app_url, callers["sql"], requests, warmup))
    print(timings[-1].line(), flush=True)
    fx.callers.update(callers)
    return timings


@contextmanager
def kept_database(keep: str | None, reuse: str | None) -> Iterator[tuple[str, str]]:
    """A fresh database (dropped afterwards), or one of this name, built now and kept
    (`keep`) or built by an earlier run (`reuse`): building takes minutes, timing seconds."""
    name = keep or reuse
    if name is None:
        with fresh_database() as urls:
            yield urls
        return
    server = resolve_urls(get_settings()).admin_database_url
    admin_url = with_database(server, name)
    if keep:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    migrate(admin_url)
    yield admin_url, app_url_from_admin(admin_url, None)


def describe(admin_url: str, fx: Fixture) -> None:
    """What --reuse needs of the fixture, kept as the database's own comment."""
    facts = {
        "building_id": str(fx.building_id),
        "residents": [str(r) for r in fx.residents],
        "busy": str(fx.busy),
        "busy_bookings": fx.busy_bookings,
        "counts": fx.counts,
    }
    with psycopg.connect(admin_url, autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        assert name is not None
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name[0]), sql.Literal(json.dumps(facts))
            )
        )


def described(admin_url: str) -> Fixture:
    with psycopg.connect(admin_url) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datname = current_database()"
        ).fetchone()
    if row is None or not row[0]:
        raise SystemExit("that database was not built with --keep")
    facts = json.loads(row[0])
    return Fixture(
        uuid.UUID(facts["building_id"]),
        [uuid.UUID(r) for r in facts["residents"]],
        uuid.UUID(facts["busy"]),
        int(facts["busy_bookings"]),
        dict(facts["counts"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buildings", type=int, default=10, help="buildings (default 10)")
    parser.add_argument("--spots", type=int, default=500, help="spots per building (500)")
    parser.add_argument(
        "--bookings-per-spot", type=int, default=400, help="bookings per spot over the year (400)"
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests each (200)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first (5)")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of spot_views"
    )
    parser.add_argument(
        "--patterns",
        type=int,
        default=0,
        help="spots of the timed building shared every weekday before timing (0)",
    )
    parser.add_argument(
        "--keep", metavar="NAME", help="build into database NAME and keep it for --reuse"
    )
    parser.add_argument(
        "--reuse", metavar="NAME", help="time against database NAME that --keep built"
    )
    args = parser.parse_args()
    if args.buildings < 1 or args.spots < 6 or args.bookings_per_spot < 1:
        raise SystemExit("at least 1 building, 6 spots and 1 booking per spot")
    shape = Shape(args.buildings, args.spots, args.bookings_per_spot)

    with kept_database(args.keep, args.reuse) as (admin_url, app_url):
        if args.reuse:
            fx = described(admin_url)
        else:
            fx = build_fixture(admin_url, shape)
            if args.keep:
                describe(admin_url, fx)
        if args.patterns > 0:
            began = time.perf_counter()
            shared = share_weekly(admin_url, app_url, fx, args.patterns)
            print(
                f"{shared} spots shared every weekday 08:00-18:00"
                f" ({time.perf_counter() - began:.1f} s)",
                flush=True,
            )
        if args.requests > 0:
            print(
                f"garage reads at {shape.buildings} buildings x {shape.spots} spots x"
                f" {shape.bookings_per_spot} bookings per spot, {args.requests} sequential"
                f" requests each after {args.warmup} warm-up, one gateway worker",
                flush=True,
            )
        run_timings(admin_url, app_url, fx, args.requests, args.warmup)
        if args.explain:
            caller = fx.callers.get("sql") or sign_in(app_url, fx.building_id, fx.residents[5])
            print("EXPLAIN (ANALYZE, BUFFERS) spot_views(now, now + 24 h, false) as a resident:")
            print(explain_spot_views(app_url, caller), flush=True)


if __name__ == "__main__":
    main()
