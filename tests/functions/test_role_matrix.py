"""Who may call what: every route of every HTTP function, as each of five callers.

The callers are nobody (no token), a plain resident, the owner of a spot, the building's
admin, and the admin of another building. Each case builds its own two buildings, so a case
that changes something (a cancellation, a disabled resident, a policy) never sees another's.

The routes are read from the functions' routers, not listed by hand: a route without a row
in MATRIX, or a row for a route that is gone, fails the suite. Every request is valid for
its route (bodies are validated before the handler runs), so what is tested is who may call
it, not what they sent. The settle function's CloudEvent path is not a Router route: only
its bearer-token path is here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest
from psycopg.rows import DictRow

from parkshare import functions
from parkshare.calendar.tokens import feed_token, token_hash
from parkshare.identity import displays as display_tokens
from parkshare.identity.passwords import hash_password
from parkshare.notify.webhook_registry import new_secret, seal_secret
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.functions.conftest import PASSWORD, bearer, code_of, from_address, resident
from tests.images import png
from tests.support import HOUR, Garage, next_hour

Role = Literal["anonymous", "resident", "owner", "admin", "other_admin"]
ROLES: tuple[Role, ...] = ("anonymous", "resident", "owner", "admin", "other_admin")
Key = tuple[str, str, str]  # (function, method, path) as the function's Router has them

# One hash for every resident who needs a password: argon2 is slow on purpose.
PASSWORD_HASH = hash_password(PASSWORD)
SSO_ISSUER = "https://id.example.test"


@dataclass(frozen=True)
class Expect:
    status: int
    code: str | None = None  # the problem's code; None for a success


OK = Expect(200)
CREATED = Expect(201)
NO_CONTENT = Expect(204)
UNAUTHENTICATED = Expect(401, "unauthenticated")
FORBIDDEN = Expect(403, "forbidden")
USER_NOT_FOUND = Expect(404, "user_not_found")


@dataclass
class World:
    """Building A: its admin; Owen owns a spot offered for [t0, t0 + 8 h); Pat has booked
    it for [t0 + 1 h, t0 + 2 h); Rita is a plain resident; Tess is an active resident and
    Dee a disabled one, for the admin routes to act on. Building B: its admin only."""

    a: Garage
    b: Garage
    t0: datetime
    owner: UUID
    plain: UUID
    plain_email: str
    parker: UUID
    spot: UUID
    booking: UUID
    target: UUID
    disabled: UUID

    @classmethod
    def build(cls, a: Garage, b: Garage) -> World:
        t0 = next_hour()
        owner, _ = resident(a, "Owen", PASSWORD_HASH)
        plain, plain_email = resident(a, "Rita", PASSWORD_HASH)
        parker = a.user("Pat")
        spot = a.spot(owner, "A-1")
        a.offer(owner, spot, t0, t0 + 8 * HOUR)
        booking = UUID(str(a.reserve(parker, spot, t0 + HOUR, t0 + 2 * HOUR)["id"]))
        target, disabled = a.user("Tess"), a.user("Dee")
        a.call(a.admin_id, "SELECT parkshare.disable_user(%s)", (disabled,))
        return cls(a, b, t0, owner, plain, plain_email, parker, spot, booking, target, disabled)

    def at(self, hours: int) -> str:
        return (self.t0 + timedelta(hours=hours)).isoformat()

    def caller(self, role: Role) -> tuple[Garage, UUID, str] | None:
        return {
            "anonymous": None,
            "resident": (self.a, self.plain, "resident"),
            "owner": (self.a, self.owner, "resident"),
            "admin": (self.a, self.a.admin_id, "admin"),
            "other_admin": (self.b, self.b.admin_id, "admin"),
        }[role]

    def caller_id(self, role: Role) -> str:
        found = self.caller(role)
        assert found is not None
        return str(found[1])

    def headers(self, role: Role) -> dict[str, str]:
        found = self.caller(role)
        return {} if found is None else bearer(found[0], found[1], found[2])

    def a_users(self) -> set[str]:
        return {
            str(row["id"])
            for row in self.superuser(
                "SELECT id FROM parkshare.users WHERE building_id = %s", self.a.building_id
            )
        }

    def superuser(self, query: str, *params: Any) -> list[DictRow]:
        """Read past row-level security, to see what really changed in either building."""
        with admin_connect(self.a.db.admin_url) as conn:
            return conn.execute(query, params).fetchall()

    def one_value(self, query: str, *params: Any) -> Any:
        (row,) = self.superuser(query, *params)
        return next(iter(row.values()))


@dataclass(frozen=True)
class Send:
    body: Any = None
    params: dict[str, str] | None = None
    # The request's path where the route's has a `{name}` segment to fill.
    path: str | None = None
    # A body that is a file, not JSON (a level's plan).
    content: bytes | None = None


Check = Callable[[World, Role, httpx.Response], None]


@dataclass(frozen=True)
class Entry:
    send: Callable[[World], Send]
    expect: Mapping[Role, Expect]
    # What else must hold after the call: what the answer holds, what changed in A or not.
    check: Check | None = None
    prepare: Callable[[World], None] | None = None


def public(expect: Expect) -> dict[Role, Expect]:
    """A route without auth: a bearer header changes nothing."""
    return dict.fromkeys(ROLES, expect)


def signed_in(
    *, resident: Expect, owner: Expect, admin: Expect, other_admin: Expect
) -> dict[Role, Expect]:
    return {
        "anonymous": UNAUTHENTICATED,
        "resident": resident,
        "owner": owner,
        "admin": admin,
        "other_admin": other_admin,
    }


def everyone(expect: Expect) -> dict[Role, Expect]:
    return signed_in(resident=expect, owner=expect, admin=expect, other_admin=expect)


def admins_only(admin: Expect, other_admin: Expect) -> dict[Role, Expect]:
    return signed_in(resident=FORBIDDEN, owner=FORBIDDEN, admin=admin, other_admin=other_admin)


def nothing(_: World) -> Send:
    return Send()


def body(make: Callable[[World], Any]) -> Callable[[World], Send]:
    return lambda w: Send(body=make(w))


# --- what else each route must leave behind --------------------------------------------


def check_jwks(w: World, role: Role, answer: httpx.Response) -> None:
    assert answer.json()["keys"]


def check_sessions(w: World, role: Role, answer: httpx.Response) -> None:
    if answer.is_success:
        assert isinstance(answer.json()["sessions"], list)


def invites_of(w: World, garage: Garage) -> int:
    return int(
        w.one_value(
            "SELECT count(*) FROM parkshare.invites WHERE building_id = %s", garage.building_id
        )
    )


def check_invites(made: int) -> Check:
    def check(w: World, role: Role, answer: httpx.Response) -> None:
        assert invites_of(w, w.a) == (made if role == "admin" else 0)
        assert invites_of(w, w.b) == (made if role == "other_admin" else 0)

    return check


def check_residents(w: World, role: Role, answer: httpx.Response) -> None:
    if not answer.is_success:
        return
    listed = {r["id"] for r in answer.json()["residents"]}
    if role == "admin":
        assert listed == w.a_users()
    else:
        assert listed == {str(w.b.admin_id)}, "another building's residents leaked"


def is_disabled(w: World, user: UUID) -> bool:
    return w.one_value("SELECT disabled_at FROM parkshare.users WHERE id = %s", user) is not None


def check_disable(w: World, role: Role, answer: httpx.Response) -> None:
    assert is_disabled(w, w.target) == (role == "admin")
    if role == "admin":
        assert answer.json()["user_id"] == str(w.target)


def check_enable(w: World, role: Role, answer: httpx.Response) -> None:
    assert is_disabled(w, w.disabled) == (role != "admin")


def check_credits(w: World, role: Role, answer: httpx.Response) -> None:
    assert w.a.balance(w.target) == (57 if role == "admin" else 50)


def check_policy(w: World, role: Role, answer: httpx.Response) -> None:
    cost_a = w.one_value("SELECT cost FROM parkshare.buildings WHERE id = %s", w.a.building_id)
    cost_b = w.one_value("SELECT cost FROM parkshare.buildings WHERE id = %s", w.b.building_id)
    assert (cost_a, cost_b) == (
        4 if role == "admin" else 3,
        4 if role == "other_admin" else 3,
    )
    if answer.is_success:
        assert answer.json()["cost"] == 4


def check_ledger(w: World, role: Role, answer: httpx.Response) -> None:
    if role == "admin":
        entries = answer.json()["entries"]
        # Tess's starting grant, and nothing of anyone else's.
        assert [e["kind"] for e in entries] == ["grant"]
        assert entries[0]["to"]["user"]["id"] == str(w.target)


def check_export(w: World, role: Role, answer: httpx.Response) -> None:
    if not answer.is_success:
        return
    assert answer.headers["content-type"].startswith("text/csv")
    rows = answer.text.splitlines()[1:]
    if role == "admin":
        # Pat's booking [t0 + 1 h, t0 + 2 h) of A-1, and nothing else.
        assert len(rows) == 1 and str(w.booking) in rows[0] and "A-1" in rows[0]
    else:
        assert rows == [], "another building's reservations leaked"


def check_deliveries(w: World, role: Role, answer: httpx.Response) -> None:
    if not answer.is_success:
        return
    listed = {d["id"] for d in answer.json()["deliveries"]}
    of_a = {
        str(row["id"])
        for row in w.superuser(
            "SELECT id FROM parkshare.deliveries WHERE building_id = %s", w.a.building_id
        )
    }
    if role == "admin":
        assert listed and listed <= of_a
    else:
        assert not listed & of_a, "another building's deliveries leaked"


def check_audit(w: World, role: Role, answer: httpx.Response) -> None:
    if not answer.is_success:
        return
    listed = {e["id"] for e in answer.json()["entries"]}
    of_a = {
        row["id"]
        for row in w.superuser(
            "SELECT id FROM parkshare.audit_log WHERE building_id = %s", w.a.building_id
        )
    }
    if role == "admin":
        assert listed and listed <= of_a
    else:
        assert not listed & of_a, "another building's audit entries leaked"


def check_utilization(w: World, role: Role, answer: httpx.Response) -> None:
    if not answer.is_success:
        return
    spots = answer.json()["spots"]
    if role == "admin":
        # Owen's window [t0, t0 + 8 h) and Pat's booking [t0 + 1 h, t0 + 2 h).
        assert [(s["label"], s["available_hours"], s["booked_hours"]) for s in spots] == [
            ("A-1", 8, 1)
        ]
    else:
        assert spots == [], "another building's spots leaked"


def sso_issuer(w: World, garage: Garage) -> str | None:
    rows = w.superuser(
        "SELECT issuer FROM parkshare.building_sso WHERE building_id = %s", garage.building_id
    )
    return str(rows[0]["issuer"]) if rows else None


def configure_sso_of_a(w: World) -> None:
    w.a.call(
        w.a.admin_id,
        "SELECT parkshare.set_sso(%s, %s, NULL, false, NULL, NULL)",
        ("https://a.example.test", "building-a"),
    )


def check_get_sso(w: World, role: Role, answer: httpx.Response) -> None:
    if role == "admin":
        assert answer.json()["sso"]["issuer"] == "https://a.example.test"
    elif role == "other_admin":
        assert answer.json() == {"sso": None}, "another building's SSO settings leaked"


def check_put_sso(w: World, role: Role, answer: httpx.Response) -> None:
    assert sso_issuer(w, w.a) == (SSO_ISSUER if role == "admin" else None)
    assert sso_issuer(w, w.b) == (SSO_ISSUER if role == "other_admin" else None)


def check_delete_sso(w: World, role: Role, answer: httpx.Response) -> None:
    assert sso_issuer(w, w.a) == (None if role == "admin" else "https://a.example.test")


WEBHOOK_URL = "https://93.184.215.14/hook"


def webhook_urls(w: World, garage: Garage) -> list[str]:
    rows = w.superuser(
        "SELECT url FROM parkshare.webhooks WHERE building_id = %s", garage.building_id
    )
    return [str(r["url"]) for r in rows]


def webhook_of_a(w: World) -> dict[str, str]:
    (row,) = w.superuser(
        "SELECT id FROM parkshare.webhooks WHERE building_id = %s", w.a.building_id
    )
    return {"webhook_id": str(row["id"])}


def register_webhook_of_a(w: World) -> None:
    w.a.call(
        w.a.admin_id,
        "SELECT parkshare.create_webhook(%s, %s, %s)",
        (
            "https://a.example.test/hook",
            ["spot.updated"],
            seal_secret(new_secret(), w.a.building_id),
        ),
    )


def check_create_webhook(w: World, role: Role, answer: httpx.Response) -> None:
    assert webhook_urls(w, w.a) == ([WEBHOOK_URL] if role == "admin" else [])
    assert webhook_urls(w, w.b) == ([WEBHOOK_URL] if role == "other_admin" else [])


def check_list_webhooks(w: World, role: Role, answer: httpx.Response) -> None:
    if role == "admin":
        assert [h["url"] for h in answer.json()["webhooks"]] == ["https://a.example.test/hook"]
    elif role == "other_admin":
        assert answer.json() == {"webhooks": []}, "another building's webhooks leaked"


def check_delete_webhook(w: World, role: Role, answer: httpx.Response) -> None:
    assert webhook_urls(w, w.a) == ([] if role == "admin" else ["https://a.example.test/hook"])


def display_names(w: World, garage: Garage) -> list[str]:
    rows = w.superuser(
        "SELECT name FROM parkshare.displays WHERE building_id = %s AND revoked_at IS NULL",
        garage.building_id,
    )
    return [str(r["name"]) for r in rows]


def display_of_a(w: World) -> dict[str, str]:
    (row,) = w.superuser(
        "SELECT id FROM parkshare.displays WHERE building_id = %s", w.a.building_id
    )
    return {"display_id": str(row["id"])}


def create_display_of_a(w: World) -> None:
    w.a.call(
        w.a.admin_id,
        "SELECT parkshare.create_display(%s, %s)",
        ("Lobby of A", display_tokens.token_hash(display_tokens.new_token())),
    )


def check_create_display(w: World, role: Role, answer: httpx.Response) -> None:
    assert display_names(w, w.a) == (["Lobby"] if role == "admin" else [])
    assert display_names(w, w.b) == (["Lobby"] if role == "other_admin" else [])


def check_list_displays(w: World, role: Role, answer: httpx.Response) -> None:
    if role == "admin":
        assert [d["name"] for d in answer.json()["displays"]] == ["Lobby of A"]
    elif role == "other_admin":
        assert answer.json() == {"displays": []}, "another building's displays leaked"


def check_revoke_display(w: World, role: Role, answer: httpx.Response) -> None:
    assert display_names(w, w.a) == ([] if role == "admin" else ["Lobby of A"])


def check_board(w: World, role: Role, answer: httpx.Response) -> None:
    # An access token is no display's: nobody's garage is shown for one.
    assert "spots" not in answer.text


def check_settle(w: World, role: Role, answer: httpx.Response) -> None:
    if answer.is_success:
        assert answer.json() == {"settled": 0}
    assert reservation_status(w) == "booked"


def check_add_spot(w: World, role: Role, answer: httpx.Response) -> None:
    if not answer.is_success:
        return
    spot = answer.json()
    assert spot["owner"]["id"] == w.caller_id(role)
    garage = w.b if role == "other_admin" else w.a
    assert w.one_value("SELECT building_id FROM parkshare.spots WHERE id = %s", spot["id"]) == (
        garage.building_id
    )


def windows_of_a(w: World) -> list[tuple[datetime, datetime]]:
    return w.a.windows(w.spot)


def check_set_availability(w: World, role: Role, answer: httpx.Response) -> None:
    offered = [(w.t0, w.t0 + 8 * HOUR)]
    if role == "owner":
        offered.append((w.t0 + 10 * HOUR, w.t0 + 12 * HOUR))
    assert windows_of_a(w) == offered


def sharing(w: World) -> dict[str, Any]:
    """Owen's spot every day for half an hour, ten hours after t0 (local time of the building,
    which is Paris): never over Pat's booking."""
    start = (w.t0 + 10 * HOUR).astimezone(ZoneInfo("Europe/Paris"))
    end = start + timedelta(minutes=30)
    return {
        "spot_id": str(w.spot),
        "weekdays": [1, 2, 3, 4, 5, 6, 7],
        "from": start.strftime("%H:%M"),
        "until": end.strftime("%H:%M"),
    }


def share_spot_of_a(w: World) -> None:
    shared = sharing(w)
    w.a.call(
        w.owner,
        "SELECT id FROM parkshare.create_pattern(%s, %s::integer[], %s, %s)",
        (w.spot, shared["weekdays"], shared["from"], shared["until"]),
    )


def pattern_of_a(w: World) -> str:
    return str(w.one_value("SELECT id FROM parkshare.patterns WHERE spot_id = %s", w.spot))


def pause_of_a(w: World) -> dict[str, Any]:
    day = (w.t0 + 10 * HOUR).astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
    return {"pattern_id": pattern_of_a(w), "start_date": day, "end_date": day}


def check_share(w: World, role: Role, answer: httpx.Response) -> None:
    made = w.one_value("SELECT count(*) FROM parkshare.patterns WHERE spot_id = %s", w.spot)
    assert made == (1 if role == "owner" else 0)
    if answer.is_success:
        assert answer.json()["spot_id"] == str(w.spot)


def check_notifications(w: World, role: Role, answer: httpx.Response) -> None:
    # Pat's booking told Owen (spot.booked) and Pat; each caller sees only their own.
    if not answer.is_success:
        return
    listed = [n["kind"] for n in answer.json()["notifications"]]
    assert listed == (["spot.booked"] if role == "owner" else [])
    assert answer.json()["unread"] == len(listed)


def unread_of(w: World, user: UUID) -> int:
    return int(
        w.one_value(
            "SELECT count(*) FROM parkshare.notifications WHERE user_id = %s AND read_at IS NULL",
            user,
        )
    )


def check_read_all(w: World, role: Role, answer: httpx.Response) -> None:
    assert unread_of(w, w.owner) == (0 if role == "owner" else 1)
    assert unread_of(w, w.parker) == 1


def check_preferences(w: World, role: Role, answer: httpx.Response) -> None:
    if answer.is_success:
        assert set(answer.json()) == {"email", "remind_minutes", "locale"}


def check_set_preferences(w: World, role: Role, answer: httpx.Response) -> None:
    kept = w.superuser(
        "SELECT user_id, locale FROM parkshare.notification_preferences"
        " WHERE building_id IN (%s, %s)",
        w.a.building_id,
        w.b.building_id,
    )
    if role == "anonymous":
        assert kept == []
        return
    assert answer.json()["locale"] == "fr"
    assert [(str(r["user_id"]), r["locale"]) for r in kept] == [(w.caller_id(role), "fr")]


def check_patterns(w: World, role: Role, answer: httpx.Response) -> None:
    listed = [p["id"] for p in answer.json()["patterns"]] if answer.is_success else []
    assert listed == ([pattern_of_a(w)] if role == "owner" else [])


def check_pause(w: World, role: Role, answer: httpx.Response) -> None:
    paused = w.one_value(
        "SELECT count(*) FROM parkshare.pattern_pauses WHERE owner_id = %s", w.owner
    )
    assert paused == (1 if role == "owner" else 0)


def check_stop(w: World, role: Role, answer: httpx.Response) -> None:
    status = w.one_value("SELECT status FROM parkshare.patterns WHERE spot_id = %s", w.spot)
    assert status == ("stopped" if role == "owner" else "active")


def check_summaries(w: World, role: Role, answer: httpx.Response) -> None:
    # Building A's residents read its recurring spot; another building's admin (and no one
    # without a token) nothing of A.
    summaries = answer.json()["summaries"] if answer.is_success else {}
    assert (str(w.spot) in summaries) == (role not in ("anonymous", "other_admin")), summaries


def check_list_spots(w: World, role: Role, answer: httpx.Response) -> None:
    if not answer.is_success:
        return
    listed = [s["id"] for s in answer.json()["spots"]]
    assert listed == ([] if role == "other_admin" else [str(w.spot)])


def check_reserve(w: World, role: Role, answer: httpx.Response) -> None:
    booked = w.superuser(
        "SELECT user_id FROM parkshare.reservations WHERE spot_id = %s ORDER BY lower(period)",
        w.spot,
    )
    expected = [w.parker]
    if answer.is_success:
        assert answer.json()["user_id"] == w.caller_id(role)
        expected.append(UUID(w.caller_id(role)))
    assert [r["user_id"] for r in booked] == expected


def reservation_status(w: World) -> str:
    return str(w.one_value("SELECT status FROM parkshare.reservations WHERE id = %s", w.booking))


def check_cancel(w: World, role: Role, answer: httpx.Response) -> None:
    assert reservation_status(w) == ("cancelled" if role == "owner" else "booked")


def check_me(w: World, role: Role, answer: httpx.Response) -> None:
    if answer.is_success:
        assert answer.json()["user"]["id"] == w.caller_id(role)


def feeds(w: World) -> dict[str, tuple[int, bytes]]:
    """Every calendar feed of either building: user -> (generation, token hash)."""
    rows = w.superuser(
        "SELECT user_id, generation, token_hash FROM parkshare.calendar_feeds"
        " WHERE building_id IN (%s, %s)",
        w.a.building_id,
        w.b.building_id,
    )
    return {str(r["user_id"]): (r["generation"], bytes(r["token_hash"])) for r in rows}


def token_in(answer: httpx.Response) -> str:
    return str(answer.json()["url"]).rsplit("/", 1)[1].removesuffix(".ics")


def check_calendar_link(w: World, role: Role, answer: httpx.Response) -> None:
    # The URL is the caller's own feed, and nobody else's was made.
    if not answer.is_success:
        assert feeds(w) == {}
        return
    stored = feeds(w)
    assert stored.keys() == {w.caller_id(role)}
    assert stored[w.caller_id(role)][1] == token_hash(token_in(answer))


def check_calendar_rotate(w: World, role: Role, answer: httpx.Response) -> None:
    if not answer.is_success:
        assert feeds(w) == {}
        return
    assert feeds(w) == {w.caller_id(role): (1, token_hash(token_in(answer)))}


def pats_feed(w: World) -> None:
    token = feed_token(w.a.building_id, w.parker, 1)
    w.a.call(w.parker, "SELECT parkshare.set_calendar(1, %s)", (token_hash(token),))


def pats_feed_path(w: World) -> Send:
    return Send(path=f"/feed/{feed_token(w.a.building_id, w.parker, 1)}.ics")


def check_calendar_feed(w: World, role: Role, answer: httpx.Response) -> None:
    # Pat's feed, whoever's bearer came along: the URL alone decides.
    assert answer.headers["content-type"].startswith("text/calendar")
    assert f"UID:{w.booking}@parkshare" in answer.text


def requests_of(w: World) -> list[DictRow]:
    return w.superuser(
        "SELECT user_id, status, reservation_id FROM parkshare.requests"
        " WHERE building_id IN (%s, %s)",
        w.a.building_id,
        w.b.building_id,
    )


def check_request(w: World, role: Role, answer: httpx.Response) -> None:
    # Booked at once on A-1 where a caller may book it; waiting for Owen (his own spot) and
    # for B's admin (no spot in B). Always the caller's own request, nobody else's.
    if not answer.is_success:
        assert requests_of(w) == []
        return
    (made,) = requests_of(w)
    assert str(made["user_id"]) == w.caller_id(role)
    if answer.status_code == 201:
        booked = w.superuser(
            "SELECT user_id, spot_id FROM parkshare.reservations WHERE id = %s",
            made["reservation_id"],
        )
        assert [(str(b["user_id"]), b["spot_id"]) for b in booked] == [(w.caller_id(role), w.spot)]
    else:
        assert made["status"] == "waiting"


def pats_request(w: World) -> None:
    # Beyond Owen's window: it waits.
    w.a.call(w.parker, "SELECT parkshare.make_request(%s, %s)", (w.at(10), w.at(11)))


def pats_request_id(w: World) -> Send:
    (row,) = w.superuser("SELECT id FROM parkshare.requests WHERE user_id = %s", w.parker)
    return Send(body={"request_id": str(row["id"])})


def check_requests_listed(w: World, role: Role, answer: httpx.Response) -> None:
    # Pat's request is Pat's alone to see.
    if answer.is_success:
        assert answer.json() == {"requests": []}


def check_pats_request_waits(w: World, role: Role, answer: httpx.Response) -> None:
    assert [r["status"] for r in requests_of(w)] == ["waiting"]


def check_checkin(w: World, role: Role, answer: httpx.Response) -> None:
    # Pat's booking is Pat's to check in to, and check-in is off by default: nobody changes it.
    (row,) = w.superuser(
        "SELECT checked_in_at FROM parkshare.reservations WHERE id = %s", w.booking
    )
    assert row["checked_in_at"] is None


def plan_of_a(w: World) -> None:
    w.a.call(w.a.admin_id, "SELECT parkshare.set_level_plan('P1', %s)", (png(),))


def spot_placed_in_a(w: World) -> None:
    plan_of_a(w)
    w.a.call(w.a.admin_id, "SELECT parkshare.place_spot(%s, 'P1', 0.5, 0.5)", (w.spot,))


def plans_of_a(w: World) -> list[str]:
    rows = w.superuser(
        "SELECT level FROM parkshare.level_plans WHERE building_id = %s", w.a.building_id
    )
    return [r["level"] for r in rows]


def spots_placed_in_a(w: World) -> int:
    return int(
        w.one_value(
            "SELECT count(*) FROM parkshare.spot_positions WHERE building_id = %s",
            w.a.building_id,
        )
    )


def check_set_plan(w: World, role: Role, answer: httpx.Response) -> None:
    # Another building's admin sets a plan of their own building, never of A.
    assert plans_of_a(w) == (["P1"] if role == "admin" else [])


def check_remove_plan(w: World, role: Role, answer: httpx.Response) -> None:
    assert plans_of_a(w) == ([] if role == "admin" else ["P1"])


def check_place(w: World, role: Role, answer: httpx.Response) -> None:
    assert spots_placed_in_a(w) == (1 if role == "admin" else 0)


def check_unplace(w: World, role: Role, answer: httpx.Response) -> None:
    assert spots_placed_in_a(w) == (0 if role == "admin" else 1)


def check_map(w: World, role: Role, answer: httpx.Response) -> None:
    if not answer.is_success:
        return
    seen = answer.json()
    if role == "other_admin":
        assert seen == {"levels": [], "positions": []}
    else:
        assert [p["spot_id"] for p in seen["positions"]] == [str(w.spot)]


def check_plan_image(w: World, role: Role, answer: httpx.Response) -> None:
    if answer.is_success:
        assert answer.content == png()


def check_graphql(w: World, role: Role, answer: httpx.Response) -> None:
    """The same people see the same things as over REST: themselves, and their building's
    spots only."""
    if not answer.is_success:
        return
    data = answer.json()["data"]
    assert data["me"]["user"]["id"] == w.caller_id(role)
    assert [s["id"] for s in data["spots"]] == ([] if role == "other_admin" else [str(w.spot)])


def check_graphiql(w: World, role: Role, answer: httpx.Response) -> None:
    assert "graphiql" in answer.text.lower()


# --- the matrix ------------------------------------------------------------------------

MATRIX: dict[Key, Entry] = {
    # auth: public routes answer everyone alike, whatever the bearer header says.
    ("auth", "POST", "/login"): Entry(
        body(lambda w: {"email": w.plain_email, "password": "not the password"}),
        public(Expect(401, "invalid_credentials")),
    ),
    ("auth", "POST", "/refresh"): Entry(
        body(lambda w: {"refresh_token": f"unknown-{uuid.uuid4().hex}"}),
        public(Expect(401, "invalid_token")),
    ),
    ("auth", "POST", "/logout"): Entry(
        body(lambda w: {"refresh_token": f"unknown-{uuid.uuid4().hex}"}),
        public(NO_CONTENT),
    ),
    ("auth", "POST", "/signup"): Entry(
        body(
            lambda w: {
                "invite_code": f"unknown-{uuid.uuid4().hex}",
                "email": f"new-{uuid.uuid4().hex[:8]}@example.test",
                "password": PASSWORD,
                "display_name": "Newcomer",
            }
        ),
        public(Expect(400, "invalid_invite")),
    ),
    ("auth", "GET", "/jwks"): Entry(nothing, public(OK), check_jwks),
    ("auth", "GET", "/sso/start"): Entry(
        lambda w: Send(params={"building": str(w.a.building_id)}),
        public(Expect(404, "sso_not_configured")),
    ),
    ("auth", "GET", "/sso/callback"): Entry(
        # No sign-in cookie: this browser never started a sign-in.
        lambda w: Send(params={"code": "some-code", "state": "some-state"}),
        public(Expect(400, "invalid_state")),
    ),
    ("auth", "POST", "/sso/exchange"): Entry(
        body(lambda w: {"code": f"unknown-{uuid.uuid4().hex}"}),
        public(Expect(401, "invalid_token")),
    ),
    # auth: the signed-in resident's own account.
    ("auth", "POST", "/password"): Entry(
        body(lambda w: {"current_password": "not the password", "new_password": "a new one!!"}),
        # Rita and Owen have a password; the admins were made without one.
        signed_in(
            resident=Expect(401, "invalid_credentials"),
            owner=Expect(401, "invalid_credentials"),
            admin=Expect(409, "no_password"),
            other_admin=Expect(409, "no_password"),
        ),
    ),
    ("auth", "GET", "/sessions"): Entry(nothing, everyone(OK), check_sessions),
    ("auth", "POST", "/sessions/revoke"): Entry(
        body(lambda w: {"session_id": str(uuid.uuid4())}),
        everyone(Expect(404, "session_not_found")),
    ),
    # admin: a resident is refused everything; another building's admin finds nobody of A.
    ("admin", "POST", "/invites"): Entry(
        body(lambda w: {"role": "resident"}), admins_only(CREATED, CREATED), check_invites(1)
    ),
    ("admin", "POST", "/invites/bulk"): Entry(
        body(lambda w: {"invites": [{}, {"role": "admin", "email": "ada@example.test"}]}),
        admins_only(CREATED, CREATED),
        check_invites(2),
    ),
    ("admin", "GET", "/residents"): Entry(nothing, admins_only(OK, OK), check_residents),
    ("admin", "POST", "/residents/disable"): Entry(
        body(lambda w: {"user_id": str(w.target)}),
        admins_only(OK, USER_NOT_FOUND),
        check_disable,
    ),
    ("admin", "POST", "/residents/enable"): Entry(
        body(lambda w: {"user_id": str(w.disabled)}),
        admins_only(NO_CONTENT, USER_NOT_FOUND),
        check_enable,
    ),
    ("admin", "POST", "/credits"): Entry(
        body(lambda w: {"user_id": str(w.target), "amount": 7, "reason": "matrix"}),
        admins_only(CREATED, USER_NOT_FOUND),
        check_credits,
    ),
    ("admin", "PATCH", "/policy"): Entry(
        body(lambda w: {"cost": 4}), admins_only(OK, OK), check_policy
    ),
    ("admin", "GET", "/ledger"): Entry(
        lambda w: Send(params={"user_id": str(w.target)}),
        admins_only(OK, USER_NOT_FOUND),
        check_ledger,
    ),
    ("admin", "GET", "/audit"): Entry(nothing, admins_only(OK, OK), check_audit),
    ("admin", "GET", "/deliveries"): Entry(nothing, admins_only(OK, OK), check_deliveries),
    ("admin", "GET", "/utilization"): Entry(
        lambda w: Send(params={"start": w.at(0), "end": w.at(8)}),
        admins_only(OK, OK),
        check_utilization,
    ),
    ("admin", "GET", "/export"): Entry(
        lambda w: Send(params={"kind": "reservations", "start": w.at(0), "end": w.at(8)}),
        admins_only(OK, OK),
        check_export,
    ),
    ("admin", "GET", "/sso"): Entry(
        nothing, admins_only(OK, OK), check_get_sso, prepare=configure_sso_of_a
    ),
    ("admin", "PUT", "/sso"): Entry(
        body(lambda w: {"issuer": SSO_ISSUER, "client_id": "parkshare"}),
        admins_only(OK, OK),
        check_put_sso,
    ),
    # The garage map: an admin draws their own building's; another building's spots and
    # levels are not found.
    ("admin", "PUT", "/plans/{level}"): Entry(
        lambda w: Send(path="/plans/P1", content=png()),
        admins_only(OK, OK),
        check_set_plan,
    ),
    ("admin", "DELETE", "/plans/{level}"): Entry(
        lambda w: Send(path="/plans/P1"),
        admins_only(NO_CONTENT, Expect(404, "level_not_found")),
        check_remove_plan,
        prepare=plan_of_a,
    ),
    ("admin", "POST", "/plans/place"): Entry(
        body(lambda w: {"spot_id": str(w.spot), "level": "P1", "x": 0.5, "y": 0.5}),
        admins_only(OK, Expect(404, "spot_not_found")),
        check_place,
        prepare=plan_of_a,
    ),
    ("admin", "POST", "/plans/unplace"): Entry(
        body(lambda w: {"spot_id": str(w.spot)}),
        admins_only(NO_CONTENT, Expect(404, "spot_not_found")),
        check_unplace,
        prepare=spot_placed_in_a,
    ),
    ("admin", "DELETE", "/sso"): Entry(
        nothing, admins_only(NO_CONTENT, NO_CONTENT), check_delete_sso, prepare=configure_sso_of_a
    ),
    ("admin", "POST", "/webhooks"): Entry(
        body(lambda w: {"url": WEBHOOK_URL, "events": ["reservation.created"]}),
        admins_only(CREATED, CREATED),
        check_create_webhook,
    ),
    ("admin", "GET", "/webhooks"): Entry(
        nothing, admins_only(OK, OK), check_list_webhooks, prepare=register_webhook_of_a
    ),
    ("admin", "POST", "/webhooks/delete"): Entry(
        lambda w: Send(body=webhook_of_a(w)),
        admins_only(NO_CONTENT, Expect(404, "webhook_not_found")),
        check_delete_webhook,
        prepare=register_webhook_of_a,
    ),
    ("admin", "POST", "/displays"): Entry(
        body(lambda w: {"name": "Lobby"}),
        admins_only(CREATED, CREATED),
        check_create_display,
    ),
    ("admin", "GET", "/displays"): Entry(
        nothing, admins_only(OK, OK), check_list_displays, prepare=create_display_of_a
    ),
    ("admin", "POST", "/displays/revoke"): Entry(
        lambda w: Send(body=display_of_a(w)),
        admins_only(NO_CONTENT, Expect(404, "display_not_found")),
        check_revoke_display,
        prepare=create_display_of_a,
    ),
    # the board answers a display's token only (tests/functions/test_board.py), never a person's
    ("board", "GET", "/"): Entry(nothing, public(UNAUTHENTICATED), check_board),
    ("settle", "POST", "/"): Entry(nothing, admins_only(OK, OK), check_settle),
    # the operations: the database decides, by owner, parker and building.
    ("add-spot", "POST", "/"): Entry(
        body(lambda w: {"label": "M-1", "location": "Level -2"}),
        everyone(CREATED),
        check_add_spot,
    ),
    ("set-availability", "POST", "/"): Entry(
        body(
            lambda w: {
                "spot_id": str(w.spot),
                "start": w.at(10),
                "end": w.at(12),
                "available": True,
            }
        ),
        signed_in(
            resident=Expect(403, "not_owner"),
            owner=OK,
            admin=Expect(403, "not_owner"),
            other_admin=Expect(404, "spot_not_found"),
        ),
        check_set_availability,
    ),
    ("recurring", "POST", "/"): Entry(
        body(sharing),
        signed_in(
            resident=Expect(403, "not_owner"),
            owner=CREATED,
            admin=Expect(403, "not_owner"),
            other_admin=Expect(404, "spot_not_found"),
        ),
        check_share,
    ),
    ("recurring", "GET", "/"): Entry(
        nothing, everyone(OK), check_patterns, prepare=share_spot_of_a
    ),
    ("recurring", "GET", "/summaries"): Entry(
        nothing, everyone(OK), check_summaries, prepare=share_spot_of_a
    ),
    ("recurring", "POST", "/pause"): Entry(
        body(pause_of_a),
        signed_in(
            resident=Expect(404, "pattern_not_found"),
            owner=OK,
            admin=Expect(404, "pattern_not_found"),
            other_admin=Expect(404, "pattern_not_found"),
        ),
        check_pause,
        prepare=share_spot_of_a,
    ),
    ("recurring", "POST", "/stop"): Entry(
        body(lambda w: {"pattern_id": pattern_of_a(w)}),
        signed_in(
            resident=Expect(404, "pattern_not_found"),
            owner=OK,
            admin=Expect(404, "pattern_not_found"),
            other_admin=Expect(404, "pattern_not_found"),
        ),
        check_stop,
        prepare=share_spot_of_a,
    ),
    ("list-spots", "GET", "/"): Entry(
        lambda w: Send(params={"start": w.at(0), "end": w.at(8)}), everyone(OK), check_list_spots
    ),
    ("reserve", "POST", "/"): Entry(
        body(lambda w: {"spot_id": str(w.spot), "start": w.at(3), "end": w.at(4)}),
        signed_in(
            resident=CREATED,
            owner=Expect(403, "own_spot"),
            admin=CREATED,
            other_admin=Expect(404, "spot_not_found"),
        ),
        check_reserve,
    ),
    ("cancel", "POST", "/"): Entry(
        body(lambda w: {"reservation_id": str(w.booking)}),
        # Rule 8: the parker or the spot's owner; an admin is not special here.
        signed_in(
            resident=Expect(403, "not_yours"),
            owner=OK,
            admin=Expect(403, "not_yours"),
            other_admin=Expect(404, "reservation_not_found"),
        ),
        check_cancel,
    ),
    ("me", "GET", "/"): Entry(nothing, everyone(OK), check_me),
    # notifications: everyone signed in has their own, and only their own.
    ("notifications", "GET", "/"): Entry(nothing, everyone(OK), check_notifications),
    ("notifications", "POST", "/read"): Entry(
        body(lambda w: {"all": True}), everyone(NO_CONTENT), check_read_all
    ),
    ("notifications", "GET", "/preferences"): Entry(nothing, everyone(OK), check_preferences),
    ("notifications", "PUT", "/preferences"): Entry(
        body(lambda w: {"locale": "fr"}), everyone(OK), check_set_preferences
    ),
    # graphql: the same token and the same database decisions (its admin-only fields are
    # pinned in tests/graphql); the IDE page is public and holds no data.
    ("graphql", "POST", "/"): Entry(
        body(
            lambda w: {
                "query": "query($w: WindowInput) { me { user { id } } spots(window: $w) { id } }",
                "variables": {"w": {"start": w.at(0), "end": w.at(8)}},
            }
        ),
        everyone(OK),
        check_graphql,
    ),
    ("graphql", "GET", "/"): Entry(nothing, public(OK), check_graphiql),
    # calendar: everyone signed in has their own feed URL; the feed answers its URL alone.
    ("calendar", "GET", "/"): Entry(nothing, everyone(OK), check_calendar_link),
    ("calendar", "POST", "/rotate"): Entry(nothing, everyone(OK), check_calendar_rotate),
    ("calendar", "GET", "/feed/{token}.ics"): Entry(
        pats_feed_path, public(OK), check_calendar_feed, prepare=pats_feed
    ),
    # request: anyone signed in asks for themselves; a request is its maker's alone.
    ("request", "POST", "/"): Entry(
        body(lambda w: {"start": w.at(3), "end": w.at(4)}),
        signed_in(resident=CREATED, owner=Expect(202), admin=CREATED, other_admin=Expect(202)),
        check_request,
    ),
    ("request", "GET", "/"): Entry(
        nothing, everyone(OK), check_requests_listed, prepare=pats_request
    ),
    ("request", "POST", "/withdraw"): Entry(
        pats_request_id,
        everyone(Expect(404, "request_not_found")),
        check_pats_request_waits,
        prepare=pats_request,
    ),
    ("checkin", "POST", "/"): Entry(
        body(lambda w: {"reservation_id": str(w.booking)}),
        signed_in(
            resident=Expect(403, "not_yours"),
            owner=Expect(403, "not_yours"),
            admin=Expect(403, "not_yours"),
            other_admin=Expect(404, "reservation_not_found"),
        ),
        check_checkin,
    ),
    ("me", "PATCH", "/"): Entry(
        body(lambda w: {"display_name": "Renamed"}), everyone(OK), check_me
    ),
    # map: every resident reads their own building's map and plans.
    ("map", "GET", "/"): Entry(nothing, everyone(OK), check_map, prepare=spot_placed_in_a),
    ("map", "GET", "/plan"): Entry(
        lambda w: Send(params={"level": "P1"}),
        signed_in(resident=OK, owner=OK, admin=OK, other_admin=Expect(404, "level_not_found")),
        check_plan_image,
        prepare=plan_of_a,
    ),
}


def discovered() -> set[Key]:
    return {
        (name, route.method, route.path)
        for name in functions.available()
        for route in functions.router(name).routes
    }


def test_every_route_has_a_row() -> None:
    missing = discovered() - MATRIX.keys()
    assert not missing, f"routes without a role-matrix row: {sorted(missing)}"


def test_every_row_names_a_route() -> None:
    stale = MATRIX.keys() - discovered()
    assert not stale, f"role-matrix rows for routes that no longer exist: {sorted(stale)}"


def test_every_row_names_all_five_callers() -> None:
    for key, entry in MATRIX.items():
        assert set(entry.expect) == set(ROLES), key


def test_the_rows_agree_with_each_routes_auth() -> None:
    """A route that needs a token refuses nobody-in-particular with 401; a public one answers
    the five callers alike."""
    for name in functions.available():
        for route in functions.router(name).routes:
            expect = MATRIX[(name, route.method, route.path)].expect
            if route.auth:
                assert expect["anonymous"] == UNAUTHENTICATED, (name, route.path)
            else:
                assert len(set(expect.values())) == 1, (name, route.path)


def test_no_admin_route_answers_a_resident() -> None:
    """The acceptance line, held in the matrix itself: a row that lets a resident or an owner
    into an admin route (or into settle, the admins' call) is a failure before any request."""
    for name in ("admin", "settle"):
        for route in functions.router(name).routes:
            expect = MATRIX[(name, route.method, route.path)].expect
            assert (expect["resident"], expect["owner"]) == (FORBIDDEN, FORBIDDEN), route.path


@pytest.fixture
def world(api_database: TestDb) -> Iterator[World]:
    a, b = Garage.create(api_database), Garage.create(api_database)
    try:
        yield World.build(a, b)
    finally:
        a.close()
        b.close()


CASES = [(key, role) for key in MATRIX for role in ROLES]


@pytest.mark.parametrize(
    ("key", "role"), CASES, ids=[f"{f} {m} {p} as {role}" for (f, m, p), role in CASES]
)
async def test_role_matrix(world: World, key: Key, role: Role) -> None:
    function, method, path = key
    entry = MATRIX[key]
    if entry.prepare is not None:
        entry.prepare(world)
    send = entry.send(world)
    async with from_address(function) as http:
        answer = await http.request(
            method,
            send.path or path,
            json=send.body,
            content=send.content,
            params=send.params,
            headers=world.headers(role),
        )
    expected = entry.expect[role]
    if expected.code is None:
        assert answer.status_code == expected.status, answer.text
    else:
        assert (answer.status_code, code_of(answer)) == (expected.status, expected.code), (
            answer.text
        )
    if entry.check is not None:
        entry.check(world, role, answer)
