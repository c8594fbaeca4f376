"""A building's event stream in Redis, written and read in one place: the publisher appends
entries (`entry_fields`), the relay and GraphQL subscriptions read them (`Entry`).

An entry is a flat map of strings: `type`, `at` (RFC 3339), `data` (the event's JSON text,
exactly as clients receive it), `user` (empty for the whole building, else the only user
who may receive it) and `outbox` (the outbox row it came from). Its stream id is the event's
id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from parkshare.instants import iso

STREAM_PREFIX = "parkshare:events:"


def stream_key(building_id: UUID | str) -> str:
    return f"{STREAM_PREFIX}{building_id}"


def entry_fields(
    type: str, at: datetime, data: dict[str, Any], user_id: UUID | None, outbox_id: int
) -> dict[str, str]:
    return {
        "type": type,
        "at": iso(at),
        "data": json.dumps(data, separators=(",", ":")),
        "user": "" if user_id is None else str(user_id),
        "outbox": str(outbox_id),
    }


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry as read back (redis-py answers bytes without decode_responses)."""

    id: str
    type: str
    at: str
    data: str  # JSON text
    user: str  # "" for everyone of the building

    @classmethod
    def read(cls, entry_id: bytes | str, fields: dict[bytes, bytes]) -> Entry:
        return cls(
            entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
            fields[b"type"].decode(),
            fields[b"at"].decode(),
            fields[b"data"].decode(),
            fields.get(b"user", b"").decode(),
        )

    def for_user(self, user_id: UUID | str) -> bool:
        """Whether this user may receive it: building-wide, or addressed to them."""
        return not self.user or self.user == str(user_id)

    def client_text(self, building_id: UUID | str) -> str:
        """The Event of the contract, `{"id", "type", "building_id", "at", "data"}`, as JSON
        text; `data` is spliced in as stored rather than parsed and dumped again."""
        head = json.dumps(
            {"id": self.id, "type": self.type, "building_id": str(building_id), "at": self.at},
            separators=(",", ":"),
        )
        return head[:-1] + ',"data":' + self.data + "}"

    def client_event(self) -> dict[str, Any]:
        """The event as GraphQL subscriptions yield it (the building is the caller's)."""
        return {"id": self.id, "type": self.type, "at": self.at, "data": json.loads(self.data)}


# What a lobby display receives: the garage's changes, none addressed to one resident, with
# every member that names or identifies a person taken out, at any depth.
BOARD_TYPES = frozenset({"spot.updated", "availability.changed"})
BOARD_TYPE_PREFIX = "reservation."
PERSON_FIELDS = frozenset(
    {
        "user_id",
        "owner_id",
        "owner",
        "parker",
        "parker_id",
        "user",
        "display_name",
        "name",
        "email",
        "notes",
        "created_by",
        "cancelled_by",
    }
)


def for_boards(type: str) -> bool:
    return type in BOARD_TYPES or type.startswith(BOARD_TYPE_PREFIX)


def _without_people(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_people(v) for k, v in value.items() if k not in PERSON_FIELDS}
    if isinstance(value, list):
        return [_without_people(v) for v in value]
    return value


def board_text(client_text: str) -> str | None:
    """The event of `client_text` (Entry.client_text) as a display receives it, or None if
    it is not one for displays."""
    event = json.loads(client_text)
    if not for_boards(str(event.get("type", ""))):
        return None
    event["data"] = _without_people(event.get("data"))
    return json.dumps(event, separators=(",", ":"))
