"""Recurring patterns computed the plain way, in Python with zoneinfo, to hold the database's
materialisation against; and helpers to create and read patterns through the procedures.

The reference is written independently of the SQL: a wall-clock time in a spring-forward gap
is found by walking the minutes to the first one past the gap, an ambiguous time is
zoneinfo's fold=0 (its first occurrence).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from tests.support import Garage

MINUTE = timedelta(minutes=1)
Window = tuple[datetime, datetime]


def instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the zone's clock shows `at` on `day`, by the contract's rule."""
    local = datetime.combine(day, at)
    first = local.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local:
        return first.astimezone(UTC)  # exists: fold=0 is the first of two, if two
    # In a gap: from an instant before it, the first minute whose clock shows later.
    moment = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while moment.astimezone(zone).replace(tzinfo=None) <= local:
        moment += MINUTE
    return moment


def monday(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


@dataclass(frozen=True)
class Spec:
    weekdays: frozenset[int]
    from_: time
    until: time
    every_weeks: int
    starts_on: date
    ends_on: date | None
    pauses: tuple[tuple[date, date], ...] = field(default=())

    def days(self, last: date) -> list[date]:
        end = min(last, self.ends_on) if self.ends_on else last
        found = []
        day = self.starts_on
        while day <= end:
            weeks = (monday(day) - monday(self.starts_on)).days // 7
            if (
                day.isoweekday() in self.weekdays
                and weeks % self.every_weeks == 0
                and not any(a <= day <= b for a, b in self.pauses)
            ):
                found.append(day)
            day += timedelta(days=1)
        return found

    def occurrence(self, day: date, zone: ZoneInfo) -> Window | None:
        start = instant(day, self.from_, zone)
        end_day = day + timedelta(days=1) if self.until <= self.from_ else day
        end = instant(end_day, self.until, zone)
        return (start, end) if end > start else None

    def windows(self, zone: ZoneInfo, last: date, now: datetime) -> list[Window]:
        found = [self.occurrence(day, zone) for day in self.days(last)]
        return [w for w in found if w is not None and w[1] > now]


def merged(windows: Iterable[Window]) -> list[Window]:
    """Windows as availability keeps them: overlapping or touching ones are one."""
    out: list[list[datetime]] = []
    for start, end in sorted(windows):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def create(
    garage: Garage,
    owner: UUID,
    spot: UUID,
    weekdays: Sequence[int],
    from_: str,
    until: str,
    every_weeks: int | None = 1,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> dict[str, Any]:
    """A pattern made by the procedure, as the contract's JSON."""
    row = garage.one(
        owner,
        "SELECT parkshare.ps_pattern_json(p) AS j FROM parkshare.create_pattern("
        "%s, %s::integer[], %s, %s, %s, %s, %s) p",
        (spot, list(weekdays), from_, until, every_weeks, starts_on, ends_on),
    )
    pattern: dict[str, Any] = row["j"]
    return pattern


def pause(
    garage: Garage, owner: UUID, pattern: str, start: date, end: date, *, cancel: bool = False
) -> dict[str, Any]:
    row = garage.one(
        owner,
        "SELECT parkshare.ps_pattern_json(p) AS j FROM parkshare.pause_pattern(%s, %s, %s, %s) p",
        (pattern, start, end, cancel),
    )
    answer: dict[str, Any] = row["j"]
    return answer


def stop(garage: Garage, owner: UUID, pattern: str, *, cancel: bool = False) -> dict[str, Any]:
    row = garage.one(
        owner,
        "SELECT parkshare.ps_pattern_json(p) AS j FROM parkshare.stop_pattern(%s, %s) p",
        (pattern, cancel),
    )
    answer: dict[str, Any] = row["j"]
    return answer


def materialise(garage: Garage, at: datetime | None = None) -> int:
    """The worker's run for this building only (other tests' buildings share the database),
    with the clock at `at` (default: now)."""
    row = garage.system(
        "SELECT parkshare.materialise_patterns(coalesce(%s, now()), %s) AS n",
        (at, garage.building_id),
    )
    return int(row["n"])


def today_in(zone: ZoneInfo, at: datetime | None = None) -> date:
    return (at or datetime.now(UTC)).astimezone(zone).date()


def next_changes(zone: ZoneInfo, after: date) -> dict[str, date]:
    """The next day the zone springs forward and the next day it falls back (each the local
    day on which the clock changes)."""
    found: dict[str, date] = {}
    day = after
    while len(found) < 2:
        before = datetime.combine(day, time(0), zone).utcoffset()
        later = datetime.combine(day + timedelta(days=1), time(0), zone).utcoffset()
        assert before is not None and later is not None
        if later > before:
            found.setdefault("spring", day)
        elif later < before:
            found.setdefault("fall", day)
        day += timedelta(days=1)
    return found
