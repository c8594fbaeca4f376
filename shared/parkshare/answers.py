"""The shapes of the answers, as PostgreSQL's procedures and the `ps_*_json` functions build
them (sql/repeatable/): for the OpenAPI document (`Router.route(..., response=...)`), the
clients generated from it and the tests that check answers against it.

They describe; they do not validate. An answer goes out as the database wrote it, so these
models are never built at import (`defer_build`): a cold start pays for their classes only,
and the document builds their schemas when it is asked for.
"""

from datetime import date as Date
from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, RootModel
from typing_extensions import TypeAliasType

# Named, so that they are components of their own in the document (and types in clients).
Role = TypeAliasType("Role", Literal["resident", "admin"])
SignIn = TypeAliasType("SignIn", Literal["password", "sso"])
SpotStatus = TypeAliasType("SpotStatus", Literal["free", "reserved", "unavailable"])
ReservationStatus = TypeAliasType(
    "ReservationStatus", Literal["booked", "cancelled", "settled", "no_show"]
)
LedgerKind = TypeAliasType(
    "LedgerKind",
    Literal["grant", "adjustment", "hold", "refund", "payout", "no_show_payout", "no_show_refund"],
)
AccountKind = TypeAliasType("AccountKind", Literal["user", "escrow", "issuance"])
PatternStatus = TypeAliasType("PatternStatus", Literal["active", "stopped"])
RequestStatus = TypeAliasType(
    "RequestStatus", Literal["waiting", "matched", "expired", "withdrawn"]
)
NotificationKind = TypeAliasType(
    "NotificationKind",
    Literal[
        "booking.confirmed",
        "spot.booked",
        "booking.cancelled",
        "booking.starts_soon",
        "booking.ends_soon",
        "credits.earned",
        "request.matched",
        "reservation.no_show",
    ],
)
Locale = TypeAliasType("Locale", Literal["en", "fr", "de"])


class Answer(BaseModel):
    model_config = ConfigDict(defer_build=True)


def _never_null(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
    types = [t for t in schema.pop("anyOf") if t != {"type": "null"}]
    schema.update(types[0] if len(types) == 1 else {"anyOf": types})


def omittable(description: str | None = None) -> Any:
    """A member that is absent or not null (typed `T | None` as Python reads it)."""
    return Field(default=None, description=description, json_schema_extra=_never_null)


# --- the garage ---------------------------------------------------------------------------


class Person(Answer):
    id: UUID
    display_name: str


class Window(Answer):
    """`[start, end)`, in UTC."""

    start: datetime
    end: datetime


class ReservedWindow(Window):
    mine: bool = Field(description="the caller's own booking")


class Spot(Answer):
    id: UUID
    label: str
    location: str | None
    notes: str | None
    owner: Person


class SpotView(Spot):
    """A spot over the asked window: what is offered and booked in it, and its state now."""

    status_now: SpotStatus
    free_for_window: bool = Field(
        description="one availability window covers the asked window and nothing booked overlaps it"
    )
    next_change_at: datetime | None = Field(description="the next start or end after now")
    availability: list[Window]
    reservations: list[ReservedWindow]


class Garage(Answer):
    spots: list[SpotView]


class SpotAvailability(Answer):
    """The spot's availability windows after the change, merged."""

    spot_id: UUID
    availability: list[Window]


class MapLevel(Answer):
    """A level with a plan; `version` changes with its image (the plan's ETag)."""

    level: str
    media_type: Literal["image/png", "image/jpeg", "image/webp"]
    updated_at: datetime
    version: str


class SpotPosition(Answer):
    """Where a spot is drawn: on `level`'s plan, at fractions of its width and height."""

    spot_id: UUID
    level: str
    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)


class GarageMap(Answer):
    levels: list[MapLevel]
    positions: list[SpotPosition]


class Reservation(Answer):
    id: UUID
    spot_id: UUID
    user_id: UUID
    start: datetime
    end: datetime
    status: ReservationStatus
    cost: int = Field(description="credits")
    checked_in_at: datetime | None = Field(description="when the parker checked in, if they did")


class PatternPause(Answer):
    """Local days of the building, both included, with no occurrence."""

    start_date: Date
    end_date: Date


class Pattern(Answer):
    """A spot shared every week: its occurrences are ordinary availability windows."""

    id: UUID
    spot_id: UUID
    weekdays: list[int] = Field(description="ISO weekdays: 1 = Monday ... 7 = Sunday")
    from_: str = Field(alias="from", description='local "HH:MM" in the building\'s zone')
    until: str = Field(description='local "HH:MM"; at or before `from`: the next day')
    every_weeks: int = Field(description="1 to 4, weeks counted from the week of starts_on")
    starts_on: Date
    ends_on: Date | None = Field(description="included")
    paused: list[PatternPause]
    status: PatternStatus


class Patterns(Answer):
    patterns: list[Pattern]


class RecurringSummaries(Answer):
    summaries: dict[str, str] = Field(
        description='by spot id, what its card says of its weekly sharing ("Free weekdays '
        '08:00-18:00"); spots that do not recur are absent'
    )


# --- notifications ------------------------------------------------------------------------


class Notification(Answer):
    id: int
    kind: NotificationKind
    at: datetime
    read: bool
    title: str
    body: str
    data: dict[str, Any] = Field(
        description="the facts: reservation_id, spot_id, spot_label, start, end, amount;"
        " by (parker, owner or admin) for booking.cancelled"
    )


class SpotRequest(Answer):
    """Any spot for [start, end): booked at once, or waiting for a window to open."""

    id: UUID
    start: datetime
    end: datetime
    status: RequestStatus
    reservation_id: UUID | None = Field(description="the booking, once matched")
    created_at: datetime
    ahead: int | None = omittable(
        "in GET /fn/request, a waiting request's place in the queue for its time: how many"
        " other residents' waiting requests for an overlapping window are served first now"
    )


class SpotRequests(Answer):
    requests: list[SpotRequest] = Field(description="the waiting ones first, then the latest")


class Notifications(Answer):
    notifications: list[Notification] = Field(description="newest first")
    unread: int = Field(description="all the caller's unread notifications")


class NotificationPreferences(Answer):
    email: dict[str, bool] = Field(description="per kind, whether it is also sent by email")
    remind_minutes: int = Field(description="0 to 1440: booking.starts_soon this long before")
    locale: Locale


class CalendarLink(Answer):
    url: str = Field(
        description="the caller's secret feed URL, absolute (https; clients may swap in"
        " webcal:): whoever has it reads the caller's bookings"
    )


class Settlement(Answer):
    settled: int = Field(description="how many reservations were settled")


# --- the resident's page ------------------------------------------------------------------


class Policy(Answer):
    cost: int
    starting_credits: int
    max_hours: int
    horizon_days: int
    checkin_grace_minutes: int = Field(description="0: check-in off")
    no_show_owner_share: int = Field(description="credits a no-show pays the owner")


class Building(Answer):
    id: UUID
    name: str
    timezone: str = Field(description="IANA time zone")
    policy: Policy


class User(Answer):
    id: UUID
    email: str | None
    display_name: str
    role: Role
    building_id: UUID
    sign_in: SignIn


class LedgerEntry(Answer):
    id: int
    at: datetime
    kind: LedgerKind
    amount: int = Field(description="signed from the resident's side: positive arrived")
    reason: str | None
    reservation_id: UUID | None


class MyReservations(Answer):
    upcoming: list[Reservation]
    past: list[Reservation]


class Me(Answer):
    user: User
    building: Building
    credits: int
    spots: list[Spot]
    reservations: MyReservations
    ledger: list[LedgerEntry]


class ProfileChanged(Answer):
    user: Person


# --- identity (auth) ----------------------------------------------------------------------


class Tokens(Answer):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="seconds the access token is valid")


class SignupUser(Answer):
    id: UUID
    email: str
    display_name: str
    role: Role
    building_id: UUID


class SignedUp(Answer):
    user: SignupUser


class Session(Answer):
    id: UUID
    method: SignIn
    user_agent: str | None
    address: str | None
    created_at: datetime
    last_used_at: datetime
    current: bool = Field(description="the session of the token that asked")


class Sessions(Answer):
    sessions: list[Session]


class Jwk(Answer):
    """A public key (RFC 7517); its other members are those of its key type."""

    model_config = ConfigDict(extra="allow")
    kty: str
    kid: str | None = omittable()
    crv: str | None = omittable()
    x: str | None = omittable()


class Jwks(Answer):
    keys: list[Jwk]


# --- the admin's views --------------------------------------------------------------------


class Invite(Answer):
    """An invite code, shown this once."""

    invite_code: str
    role: Role
    email: str | None = omittable("the only address that may sign up with it (omitted: any)")
    expires_at: datetime


class InviteOfMany(Invite):
    email: str | None = Field(description="the only address that may sign up with it")


class Invites(Answer):
    invites: list[InviteOfMany]


class Resident(Answer):
    id: UUID
    email: str | None
    display_name: str
    role: Role
    active: bool
    disabled_at: datetime | None
    sign_in: SignIn
    credits: int
    spots: int
    upcoming_reservations: int
    created_at: datetime


class Residents(Answer):
    residents: list[Resident]


class DisableSummary(Answer):
    user_id: UUID
    cancelled: int
    spots_withdrawn: int
    sessions_ended: int


class CreditAdjustment(Answer):
    id: int
    user_id: UUID
    amount: int
    reason: str
    at: datetime


class AccountRef(Answer):
    account: AccountKind
    user: Person | None


class AdminLedgerEntry(Answer):
    id: int
    at: datetime
    kind: LedgerKind
    amount: int = Field(description="credits moved from `from` to `to`, always positive")
    from_: AccountRef = Field(alias="from")
    to: AccountRef
    reason: str | None
    reservation_id: UUID | None
    created_by: Person | None


class AdminLedger(Answer):
    entries: list[AdminLedgerEntry]


class AuditEntry(Answer):
    id: int
    at: datetime
    action: str
    actor: Person | None
    subject: Person | None
    address: str | None
    detail: dict[str, Any]


class AuditLog(Answer):
    entries: list[AuditEntry]


DeliveryState = TypeAliasType(
    "DeliveryState", Literal["pending", "sending", "sent", "failed", "skipped"]
)


class Delivery(Answer):
    """A notification's email on its way: pending (due at `next_attempt_at`), sending, sent,
    failed (refused for good, or not sent within 24 hours) or skipped (no mail configured)."""

    id: UUID
    notification_id: int
    kind: NotificationKind
    user: Person
    channel: Literal["email"]
    address: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = Field(description="when a pending one is tried next")
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class Deliveries(Answer):
    deliveries: list[Delivery]


class UtilizationDay(Answer):
    date: Date = Field(description="a local day of the building")
    available_hours: float
    booked_hours: float


class SpotUtilization(Answer):
    spot_id: UUID
    label: str
    available_hours: float
    booked_hours: float


class Utilization(Answer):
    start: datetime
    end: datetime
    timezone: str
    days: list[UtilizationDay]
    spots: list[SpotUtilization]


class SsoSettings(Answer):
    issuer: str
    client_id: str
    has_client_secret: bool
    email_domain: str | None
    required_group: str | None
    updated_at: datetime


class SsoState(Answer):
    sso: SsoSettings | None = Field(description="null: single sign-on is off")


class SsoConfigured(Answer):
    sso: SsoSettings


# --- webhooks -----------------------------------------------------------------------------

WebhookEventType = TypeAliasType(
    "WebhookEventType",
    Literal[
        "spot.updated",
        "availability.changed",
        "reservation.created",
        "reservation.cancelled",
        "reservation.started",
        "reservation.ended",
        "reservation.settled",
    ],
)


class WebhookCreated(Answer):
    id: UUID
    url: str
    events: list[WebhookEventType]
    secret: str = Field(description="the HMAC key of the signatures; shown this once")


class WebhookDelivery(Answer):
    at: datetime
    status: int | None = Field(description="the receiver's HTTP status; null: no answer")
    attempts: int = Field(description="the attempts at that event so far")


class Webhook(Answer):
    id: UUID
    url: str
    events: list[WebhookEventType]
    last_delivery: WebhookDelivery | None = Field(description="null: nothing sent yet")


class Webhooks(Answer):
    webhooks: list[Webhook]


# --- lobby displays -----------------------------------------------------------------------


class Display(Answer):
    id: UUID
    name: str = Field(description="where the screen hangs")
    created_at: datetime
    last_seen_at: datetime | None = Field(
        description="when the screen last read the board or held a live socket (to the minute);"
        " null: never"
    )


class Displays(Answer):
    displays: list[Display] = Field(description="the building's displays not revoked")


class DisplayCreated(Answer):
    id: UUID
    name: str
    token: str = Field(
        description="the display's secret: open /board#<token> on the screen; shown this once"
    )


class BoardBuilding(Answer):
    name: str
    timezone: str = Field(description="IANA time zone: show times in it")


class BoardSpot(Answer):
    """A spot as the lobby sees it: nothing about who owns or parks in it."""

    label: str
    location: str | None
    status_now: SpotStatus
    next_change_at: datetime | None = Field(description="the next start or end after now")


class Board(Answer):
    building: BoardBuilding
    spots: list[BoardSpot] = Field(description="by location, then label")


# --- GraphQL ------------------------------------------------------------------------------


class GraphQLError(Answer):
    model_config = ConfigDict(extra="allow")
    message: str
    path: list[str | int] | None = omittable()
    extensions: dict[str, Any] | None = omittable()


class GraphQLAnswer(Answer):
    """A GraphQL response (the spec's "execution result"): its shape is the query's."""

    data: dict[str, Any] | None = Field(default=None, description="null: nothing was executed")
    errors: list[GraphQLError] | None = omittable()
    extensions: dict[str, Any] | None = omittable()


class Page(RootModel[str]):
    """An answer that is not JSON: its media type, and a string for a schema."""

    model_config = ConfigDict(defer_build=True)
    media_type: ClassVar[str] = "text/html"


class GraphiQL(Page):
    """The GraphiQL page (HTML)."""


class CalendarFile(Page):
    """A calendar feed: an iCalendar file (RFC 5545)."""

    media_type: ClassVar[str] = "text/calendar"


class PlanImage(Page):
    """A level's plan: a PNG, JPEG or WebP image, its type read from its bytes."""

    media_type: ClassVar[str] = "image/*"


class CsvFile(Page):
    """An admin's export: CSV (RFC 4180, UTF-8, CRLF line ends) with a header row."""

    media_type: ClassVar[str] = "text/csv"


def models() -> list[type[BaseModel]]:
    """Every answer of this module, in the order they are written."""
    return [
        value
        for value in globals().values()
        if isinstance(value, type)
        and issubclass(value, Answer | Page)
        and value not in (Answer, Page)
    ]
