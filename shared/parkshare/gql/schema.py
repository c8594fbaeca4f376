"""The GraphQL schema: the garage as screens and integrations read it, and the writes, which
are the REST functions' operations (parkshare.ops) and answer the same codes."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import psycopg
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from parkshare import ops
from parkshare.gql import live
from parkshare.gql.context import Context, ctx, problem_error, selects, window
from parkshare.gql.loaders import spot_views
from parkshare.instants import iso
from parkshare.problems import Problem as ProblemError
from parkshare.problems import problem_from_db_error
from parkshare.store.queries import load
from parkshare.windows import expressible

SQL = load("graphql")
REST = load("functions")
MAX_RESERVATIONS = 500
T = TypeVar("T")


def _parse_time(value: Any) -> datetime:
    return expressible(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def _serialize_time(value: datetime | str) -> str:
    # A time the garage view wrote (ps_iso) is already RFC 3339 in UTC with a Z: it is given
    # out as it came, and never parsed if no one asks for it.
    return value if isinstance(value, str) else iso(value)


# Every datetime field is this scalar (StrawberryConfig.scalar_map in view.build_schema).
DATETIME = strawberry.scalar(
    name="DateTime",
    description="An instant in RFC 3339 with an offset; answers are in UTC (Z).",
    serialize=_serialize_time,
    parse_value=_parse_time,
)


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else _parse_time(value)


@strawberry.enum
class SpotStatus(enum.Enum):
    FREE = "free"
    RESERVED = "reserved"
    UNAVAILABLE = "unavailable"


@strawberry.enum
class ReservationStatus(enum.Enum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    SETTLED = "settled"
    NO_SHOW = "no_show"


@strawberry.enum
class PatternStatus(enum.Enum):
    ACTIVE = "active"
    STOPPED = "stopped"


@strawberry.type(description="Local days of the building, both included, with no occurrence.")
class PatternPause:
    start_date: date
    end_date: date


@strawberry.type(description="A spot shared every week (as GET /fn/recurring answers it).")
class Pattern:
    id: strawberry.ID
    spot_id: strawberry.ID
    weekdays: list[int] = strawberry.field(description="ISO weekdays: 1 = Monday ... 7 = Sunday.")
    from_: str = strawberry.field(name="from", description='Local "HH:MM" in the building\'s zone.')
    until: str = strawberry.field(description='Local "HH:MM"; at or before `from`: the next day.')
    every_weeks: int
    starts_on: date
    ends_on: date | None
    paused: list[PatternPause]
    status: PatternStatus

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Pattern:
        return cls(
            id=strawberry.ID(str(row["id"])),
            spot_id=strawberry.ID(str(row["spot_id"])),
            weekdays=list(row["weekdays"]),
            from_=row["from"],
            until=row["until"],
            every_weeks=row["every_weeks"],
            starts_on=date.fromisoformat(row["starts_on"]),
            ends_on=date.fromisoformat(row["ends_on"]) if row["ends_on"] else None,
            paused=[
                PatternPause(
                    start_date=date.fromisoformat(z["start_date"]),
                    end_date=date.fromisoformat(z["end_date"]),
                )
                for z in row["paused"]
            ],
            status=PatternStatus(row["status"]),
        )


@strawberry.type
class Policy:
    cost: int
    starting_credits: int
    max_hours: int
    horizon_days: int
    checkin_grace_minutes: int
    no_show_owner_share: int


@strawberry.type
class User:
    id: strawberry.ID
    display_name: str


@strawberry.type(description="A resident as the admin sees them.")
class Resident:
    id: strawberry.ID
    email: str | None
    display_name: str
    role: str
    active: bool
    credits: int
    spots: int
    upcoming_reservations: int
    sign_in: str


@strawberry.type
class Building:
    id: strawberry.ID
    name: str
    timezone: str
    policy: Policy

    @strawberry.field(description="Everyone in the building with their balance. Admins only.")
    async def residents(self, info: Info[Context, Any]) -> list[Resident]:
        rows = await ctx(info).value(REST["admin_residents"])
        fields = set(Resident.__annotations__)
        return [Resident(**{k: v for k, v in row.items() if k in fields}) for row in rows]


@strawberry.type
class Availability:
    start: datetime
    end: datetime


@strawberry.type(description="A booking of a spot as every resident may see it.")
class SpotReservation:
    start: datetime
    end: datetime
    mine: bool


@strawberry.type
class Spot:
    id: strawberry.ID
    label: str
    location: str | None
    notes: str | None
    owner: User
    status_now: SpotStatus
    free_for_window: bool = strawberry.field(
        description="One availability window covers the asked window and nothing overlaps it."
    )
    next_change_at: datetime | None
    availability: list[Availability]
    reservations: list[SpotReservation]
    # Read with the spots when the query asks for it (gql/loaders.spot_views), not one
    # resolver call a spot: a garage of 500 spots would cost 500 awaits.
    next_reservation: SpotReservation | None = strawberry.field(
        description="The next booking that has not ended."
    )

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> Spot:
        owner = view["owner"]
        upcoming = view.get("next_reservation")
        return cls(
            id=strawberry.ID(view["id"]),
            label=view["label"],
            location=view["location"],
            notes=view["notes"],
            owner=User(id=strawberry.ID(owner["id"]), display_name=owner["display_name"]),
            status_now=SpotStatus(view["status_now"]),
            free_for_window=view["free_for_window"],
            # The view's times stay its text until they are given out (_serialize_time): a
            # garage of 500 spots has thousands, and most queries ask for few of them.
            next_change_at=view["next_change_at"],
            availability=[
                Availability(start=a["start"], end=a["end"]) for a in view["availability"]
            ],
            reservations=[
                SpotReservation(start=r["start"], end=r["end"], mine=r["mine"])
                for r in view["reservations"]
            ],
            next_reservation=SpotReservation(
                start=upcoming["start"], end=upcoming["end"], mine=upcoming["mine"]
            )
            if upcoming
            else None,
        )

    @strawberry.field(
        description='What the owner shares every week, e.g. "Free weekdays 08:00\u201318:00" '
        "(local times of the building); null when nothing recurs."
    )
    async def recurring(self, info: Info[Context, Any]) -> str | None:
        return await ctx(info).loaders.recurring.load(UUID(str(self.id)))


@strawberry.type
class Reservation:
    id: strawberry.ID
    spot_id: strawberry.ID
    user_id: strawberry.ID
    start: datetime
    end: datetime
    status: ReservationStatus
    cost: int
    checked_in_at: datetime | None

    @strawberry.field
    async def spot(self, info: Info[Context, Any]) -> Spot | None:
        view = await ctx(info).loaders.spots.load(UUID(str(self.spot_id)))
        return Spot.from_view(view) if view is not None else None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Reservation:
        return cls(
            id=strawberry.ID(str(row["id"])),
            spot_id=strawberry.ID(str(row["spot_id"])),
            user_id=strawberry.ID(str(row["user_id"])),
            start=_time(row["start"]),
            end=_time(row["end"]),
            status=ReservationStatus(row["status"]),
            cost=row["cost"],
            checked_in_at=_time(row["checked_in_at"]) if row.get("checked_in_at") else None,
        )


@strawberry.type
class LedgerEntry:
    id: int
    at: datetime
    kind: str
    amount: int = strawberry.field(description="Positive into the account, negative out.")
    reason: str | None
    reservation_id: strawberry.ID | None


@strawberry.type
class Me:
    user: User
    email: str | None
    role: str
    credits: int
    building: Building
    spot_ids: strawberry.Private[list[UUID]]
    upcoming: list[Reservation]
    past: list[Reservation]
    ledger: list[LedgerEntry]

    @strawberry.field(description="The caller's spots, over the next 24 hours.")
    async def spots(self, info: Info[Context, Any]) -> list[Spot]:
        views = await ctx(info).loaders.spots.load_many(self.spot_ids)
        return [Spot.from_view(v) for v in views if v is not None]

    @strawberry.field(description="The caller's recurring patterns (as GET /fn/recurring).")
    async def patterns(self, info: Info[Context, Any]) -> list[Pattern]:
        page = await ctx(info).value(REST["patterns"])
        return [Pattern.from_json(p) for p in page["patterns"]]


@strawberry.type(description="A refusal, with the same code and status as the REST answer.")
class Problem:
    code: str
    status: int
    title: str
    detail: str

    @classmethod
    def of(cls, problem: ProblemError) -> Problem:
        return cls(
            code=problem.code, status=problem.status, title=problem.title, detail=problem.detail
        )


@strawberry.type
class AvailabilityResult:
    spot_id: strawberry.ID
    availability: list[Availability]


@strawberry.input
class WindowInput:
    start: datetime
    end: datetime


@strawberry.input
class AddSpotInput:
    label: str
    location: str | None = None
    notes: str | None = None


@strawberry.input
class SetAvailabilityInput:
    spot_id: strawberry.ID
    start: datetime
    end: datetime
    available: bool
    cancel_reservations: bool = False


@strawberry.input
class ReserveInput:
    spot_id: strawberry.ID
    start: datetime
    end: datetime


@strawberry.input
class CreatePatternInput:
    spot_id: strawberry.ID
    weekdays: list[int]
    from_: str = strawberry.field(name="from")
    until: str
    every_weeks: int = 1
    starts_on: date | None = None
    ends_on: date | None = None


@strawberry.input
class PausePatternInput:
    pattern_id: strawberry.ID
    start_date: date
    end_date: date
    cancel_reservations: bool = False


@strawberry.input
class StopPatternInput:
    pattern_id: strawberry.ID
    cancel_reservations: bool = False


AddSpotResult = Annotated[Spot | Problem, strawberry.union("AddSpotResult")]
SetAvailabilityResult = Annotated[
    AvailabilityResult | Problem, strawberry.union("SetAvailabilityResult")
]
ReservationResult = Annotated[Reservation | Problem, strawberry.union("ReservationResult")]
PatternResult = Annotated[Pattern | Problem, strawberry.union("PatternResult")]


def _building(row: dict[str, Any]) -> Building:
    return Building(
        id=strawberry.ID(str(row["id"])),
        name=row["name"],
        timezone=row["timezone"],
        policy=Policy(
            cost=row["cost"],
            starting_credits=row["starting_credits"],
            max_hours=row["max_hours"],
            horizon_days=row["horizon_days"],
            checkin_grace_minutes=row["checkin_grace_minutes"],
            no_show_owner_share=row["no_show_owner_share"],
        ),
    )


def _uuid(value: str, code: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise problem_error(ProblemError(code, "not an id")) from None


@strawberry.type
class Query:
    @strawberry.field(description="The caller: who, credits, building, spots, bookings, ledger.")
    async def me(self, info: Info[Context, Any]) -> Me:
        page = await ctx(info).value(REST["me"])
        user, building = page["user"], page["building"]
        policy = building["policy"]
        return Me(
            user=User(id=strawberry.ID(user["id"]), display_name=user["display_name"]),
            email=user["email"],
            role=user["role"],
            credits=page["credits"],
            building=_building({**building, **policy}),
            spot_ids=[UUID(s["id"]) for s in page["spots"]],
            upcoming=[_reservation_json(r) for r in page["reservations"]["upcoming"]],
            past=[_reservation_json(r) for r in page["reservations"]["past"]],
            ledger=[
                LedgerEntry(
                    id=e["id"],
                    at=_time(e["at"]),
                    kind=e["kind"],
                    amount=e["amount"],
                    reason=e["reason"],
                    reservation_id=e["reservation_id"],
                )
                for e in page["ledger"]
            ],
        )

    @strawberry.field(description="The caller's building and its policy.")
    async def building(self, info: Info[Context, Any]) -> Building:
        (row,) = await ctx(info).rows(SQL["building"], {})
        return _building(row)

    @strawberry.field(
        description="Every spot over the window (default: the next 24 hours), free ones first."
    )
    async def spots(
        self,
        info: Info[Context, Any],
        window: WindowInput | None = None,
        available_only: bool = False,
    ) -> list[Spot]:
        start, end = _window(window)
        views = await spot_views(
            ctx(info),
            SQL["spots"],
            {"start": start, "end": end, "available_only": available_only},
            with_next=selects(info, "nextReservation"),
        )
        return [Spot.from_view(v) for v in views]

    @strawberry.field(description="One spot over the window (default: the next 24 hours).")
    async def spot(
        self, info: Info[Context, Any], id: strawberry.ID, window: WindowInput | None = None
    ) -> Spot | None:
        start, end = _window(window)
        views = await spot_views(
            ctx(info),
            SQL["spots_by_id"],
            {"ids": [_uuid(id, "spot_not_found")], "start": start, "end": end},
            with_next=selects(info, "nextReservation"),
        )
        return Spot.from_view(views[0]) if views else None

    @strawberry.field(description="The caller's reservations overlapping the window.")
    async def reservations(
        self,
        info: Info[Context, Any],
        window: WindowInput | None = None,
        status: ReservationStatus | None = None,
        limit: int = 100,
    ) -> list[Reservation]:
        start, end = _window(window)
        rows = await ctx(info).rows(
            SQL["my_reservations"],
            {
                "start": start,
                "end": end,
                "status": status.value if status else None,
                "limit": max(1, min(limit, MAX_RESERVATIONS)),
            },
        )
        return [Reservation.from_row(r) for r in rows]


def _window(given: WindowInput | None) -> tuple[datetime, datetime]:
    if given is None:
        return window(None, None)
    return window(given.start, given.end)


def _reservation_json(row: dict[str, Any]) -> Reservation:
    return Reservation.from_row(row)


async def _write(operation: Awaitable[T]) -> T | Problem:
    """One write of parkshare.ops, the very call REST makes; its refusal as a typed answer."""
    try:
        return await operation
    except ProblemError as refused:
        return Problem.of(refused)
    except psycopg.Error as exc:
        return Problem.of(problem_from_db_error(exc))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a spot you own (as POST /fn/add-spot).")
    async def add_spot(self, info: Info[Context, Any], input: AddSpotInput) -> AddSpotResult:
        answer = await _write(
            ops.add_spot(ctx(info).user, input.label, input.location, input.notes)
        )
        if isinstance(answer, Problem):
            return answer
        view = await ctx(info).loaders.spots.load(UUID(answer["id"]))
        return Spot.from_view(view)

    @strawberry.mutation(description="Offer or withdraw a window (as POST /fn/set-availability).")
    async def set_availability(
        self, info: Info[Context, Any], input: SetAvailabilityInput
    ) -> SetAvailabilityResult:
        spot = _uuid(input.spot_id, "spot_not_found")
        answer = await _write(
            ops.set_availability(
                ctx(info).user,
                spot,
                input.start,
                input.end,
                input.available,
                input.cancel_reservations,
            )
        )
        if isinstance(answer, Problem):
            return answer
        return AvailabilityResult(
            spot_id=strawberry.ID(str(answer["spot_id"])),
            availability=[
                Availability(start=_time(a["start"]), end=_time(a["end"]))
                for a in answer["availability"]
            ],
        )

    @strawberry.mutation(description="Reserve a spot for a window (as POST /fn/reserve).")
    async def reserve(self, info: Info[Context, Any], input: ReserveInput) -> ReservationResult:
        # The request's Idempotency-Key header, as REST takes it: a retry with the key and the
        # same input answers the first answer; with other input it is idempotency_mismatch.
        context = ctx(info)
        spot = _uuid(input.spot_id, "spot_not_found")
        answer = await _write(
            ops.reserve(context.user, spot, input.start, input.end, context.idempotency_key)
        )
        return answer if isinstance(answer, Problem) else _reservation_json(answer)

    @strawberry.mutation(description="Cancel a reservation (as POST /fn/cancel).")
    async def cancel(
        self, info: Info[Context, Any], reservation_id: strawberry.ID
    ) -> ReservationResult:
        answer = await _write(
            ops.cancel(ctx(info).user, _uuid(reservation_id, "reservation_not_found"))
        )
        return answer if isinstance(answer, Problem) else _reservation_json(answer)

    @strawberry.mutation(description="Share a spot every week (as POST /fn/recurring).")
    async def create_pattern(
        self, info: Info[Context, Any], input: CreatePatternInput
    ) -> PatternResult:
        answer = await _write(
            ops.create_pattern(
                ctx(info).user,
                _uuid(input.spot_id, "spot_not_found"),
                input.weekdays,
                input.from_,
                input.until,
                input.every_weeks,
                input.starts_on,
                input.ends_on,
            )
        )
        return answer if isinstance(answer, Problem) else Pattern.from_json(answer)

    @strawberry.mutation(description="Time off for a pattern (as POST /fn/recurring/pause).")
    async def pause_pattern(
        self, info: Info[Context, Any], input: PausePatternInput
    ) -> PatternResult:
        answer = await _write(
            ops.pause_pattern(
                ctx(info).user,
                _uuid(input.pattern_id, "pattern_not_found"),
                input.start_date,
                input.end_date,
                input.cancel_reservations,
            )
        )
        return answer if isinstance(answer, Problem) else Pattern.from_json(answer)

    @strawberry.mutation(description="Stop a pattern (as POST /fn/recurring/stop).")
    async def stop_pattern(
        self, info: Info[Context, Any], input: StopPatternInput
    ) -> PatternResult:
        answer = await _write(
            ops.stop_pattern(
                ctx(info).user,
                _uuid(input.pattern_id, "pattern_not_found"),
                input.cancel_reservations,
            )
        )
        return answer if isinstance(answer, Problem) else Pattern.from_json(answer)


SPOT_EVENTS = frozenset(
    {
        "spot.updated",
        "availability.changed",
        "reservation.created",
        "reservation.cancelled",
        "reservation.started",
        "reservation.ended",
        "reservation.settled",
    }
)


@strawberry.type(description="Something about a spot changed; `data` as the relay sends it.")
class SpotEvent:
    id: str = strawberry.field(description="The stream id: resubscribe with it as lastId.")
    type: str
    at: datetime
    spot_id: strawberry.ID | None
    data: JSON


@strawberry.type
class CreditsEvent:
    id: str
    at: datetime
    credits: int


def _spot_of(data: dict[str, Any]) -> str | None:
    if "spot" in data:
        return str(data["spot"]["id"])
    if "reservation" in data:
        return str(data["reservation"]["spot_id"])
    return str(data["spot_id"]) if "spot_id" in data else None


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Changes to the building's spots, as they happen.")
    async def spot_updates(
        self, info: Info[Context, Any], last_id: str | None = None
    ) -> AsyncIterator[SpotEvent]:
        async for event in live.stream(ctx(info).user, SPOT_EVENTS, last_id):
            spot = _spot_of(event["data"])
            yield SpotEvent(
                id=event["id"],
                type=event["type"],
                at=_time(event["at"]),
                spot_id=strawberry.ID(spot) if spot else None,
                data=event["data"],
            )

    @strawberry.subscription(description="The caller's balance whenever it changes.")
    async def my_credits(
        self, info: Info[Context, Any], last_id: str | None = None
    ) -> AsyncIterator[CreditsEvent]:
        async for event in live.stream(ctx(info).user, {"credits.changed"}, last_id):
            yield CreditsEvent(
                id=event["id"], at=_time(event["at"]), credits=int(event["data"]["credits"])
            )
