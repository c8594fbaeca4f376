"""What a notification's email says, in English, French or German: a subject and one
paragraph per kind, built from the notification's facts (`data`) with the building's name
and its times on the building's clock, date included; plain text and simple HTML (every
value escaped), and a footer link to where a resident changes what they receive.

Kinds without a template of their own (or whose facts lack a window) say the in-app
notification's title and body, which PostgreSQL wrote in English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

Locale = str
LOCALES = ("en", "fr", "de")

_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
}
_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
    "de": [
        "Jan.",
        "Feb.",
        "März",
        "Apr.",
        "Mai",
        "Juni",
        "Juli",
        "Aug.",
        "Sep.",
        "Okt.",
        "Nov.",
        "Dez.",
    ],
}
# An en dash between the times of a span, as the in-app text writes it.
DASH = "\u2013"
# "{day} {date}" in each language: "Mon 3 Mar 2026", "lun. 3 mars 2026", "Mo. 3. März 2026".
_DATE = {
    "en": "{dow} {d} {month} {y}",
    "fr": "{dow} {d} {month} {y}",
    "de": "{dow} {d}. {month} {y}",
}

# (subject, paragraph) per kind; {spot}, {building}, {when}, {start}, {end}, {amount}, {by}.
_TEXTS: dict[Locale, dict[str, tuple[str, str]]] = {
    "en": {
        "booking.confirmed": (
            "Booking confirmed: spot {spot}",
            "Your booking of spot {spot} is confirmed: {when}.",
        ),
        "spot.booked": (
            "Your spot {spot} was booked",
            "Your spot {spot} was booked for {when}.",
        ),
        "booking.cancelled": (
            "Booking cancelled: spot {spot}",
            "The booking of spot {spot} for {when} was cancelled by {by}.",
        ),
        "booking.starts_soon": (
            "Your booking starts at {start}",
            "Your booking of spot {spot} starts soon: {when}.",
        ),
        "booking.ends_soon": (
            "Your booking ends at {end}",
            "Your booking of spot {spot} ends soon: {when}.",
        ),
        "credits.earned": (
            "{amount} credits earned",
            "You earned {amount} credits for spot {spot}, booked {when}.",
        ),
        "request.matched": (
            "Spot found: {spot}",
            "Your request found a spot: {spot}, {when}. It is booked for you.",
        ),
        "reservation.no_show": (
            "No check-in: spot {spot} released",
            "Nobody checked in to the booking of spot {spot} for {when};"
            " the rest of it was released.",
        ),
    },
    "fr": {
        "booking.confirmed": (
            "Réservation confirmée : place {spot}",
            "Votre réservation de la place {spot} est confirmée : {when}.",
        ),
        "spot.booked": (
            "Votre place {spot} a été réservée",
            "Votre place {spot} a été réservée pour {when}.",
        ),
        "booking.cancelled": (
            "Réservation annulée : place {spot}",
            "La réservation de la place {spot} pour {when} a été annulée par {by}.",
        ),
        "booking.starts_soon": (
            "Votre réservation commence à {start}",
            "Votre réservation de la place {spot} commence bientôt : {when}.",
        ),
        "booking.ends_soon": (
            "Votre réservation se termine à {end}",
            "Votre réservation de la place {spot} se termine bientôt : {when}.",
        ),
        "credits.earned": (
            "{amount} crédits gagnés",
            "Vous avez gagné {amount} crédits pour la place {spot}, réservée {when}.",
        ),
        "request.matched": (
            "Place trouvée : {spot}",
            "Votre demande a trouvé une place : {spot}, {when}. Elle est réservée pour vous.",
        ),
        "reservation.no_show": (
            "Pas d'arrivée : place {spot} libérée",
            "Personne n'a signalé son arrivée pour la réservation de la place {spot}"
            " ({when}) ; le reste a été libéré.",
        ),
    },
    "de": {
        "booking.confirmed": (
            "Buchung bestätigt: Stellplatz {spot}",
            "Ihre Buchung von Stellplatz {spot} ist bestätigt: {when}.",
        ),
        "spot.booked": (
            "Ihr Stellplatz {spot} wurde gebucht",
            "Ihr Stellplatz {spot} wurde gebucht für {when}.",
        ),
        "booking.cancelled": (
            "Buchung storniert: Stellplatz {spot}",
            "Die Buchung von Stellplatz {spot} für {when} wurde {by} storniert.",
        ),
        "booking.starts_soon": (
            "Ihre Buchung beginnt um {start}",
            "Ihre Buchung von Stellplatz {spot} beginnt bald: {when}.",
        ),
        "booking.ends_soon": (
            "Ihre Buchung endet um {end}",
            "Ihre Buchung von Stellplatz {spot} endet bald: {when}.",
        ),
        "credits.earned": (
            "{amount} Credits verdient",
            "Sie haben {amount} Credits für Stellplatz {spot} verdient, gebucht {when}.",
        ),
        "request.matched": (
            "Stellplatz gefunden: {spot}",
            "Ihre Anfrage hat einen Stellplatz gefunden: {spot}, {when}. Er ist für Sie gebucht.",
        ),
        "reservation.no_show": (
            "Nicht eingecheckt: Stellplatz {spot} freigegeben",
            "Für die Buchung von Stellplatz {spot} ({when}) hat niemand eingecheckt;"
            " der Rest wurde freigegeben.",
        ),
    },
}
_BY = {
    "en": {"parker": "the parker", "owner": "the owner", "admin": "an admin"},
    "fr": {"parker": "le conducteur", "owner": "le propriétaire", "admin": "un administrateur"},
    "de": {"parker": "vom Parker", "owner": "vom Eigentümer", "admin": "von einem Admin"},
}
_FOOTER = {
    "en": "Change what you receive",
    "fr": "Modifier ce que vous recevez",
    "de": "Ändern, was Sie erhalten",
}


@dataclass(frozen=True, slots=True)
class Note:
    """A notification as its delivery's claim answers it."""

    kind: str
    title: str
    body: str
    data: dict[str, Any]
    locale: str
    building_name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def local_date(at: datetime, locale: Locale) -> str:
    return _DATE[locale].format(
        dow=_DAYS[locale][at.weekday()], d=at.day, month=_MONTHS[locale][at.month - 1], y=at.year
    )


def local_span(start: datetime, end: datetime, locale: Locale) -> str:
    """The date and both times ("Mon 3 Mar 2026, 14:00-16:00" with an en dash), or both
    dates when it ends on another day."""
    if start.date() == end.date():
        return f"{local_date(start, locale)}, {start:%H:%M}{DASH}{end:%H:%M}"
    return (
        f"{local_date(start, locale)}, {start:%H:%M} {DASH} {local_date(end, locale)}, {end:%H:%M}"
    )


def _instant(value: Any, zone: ZoneInfo) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone)
    except ValueError:
        return None


def render(note: Note, app_url: str) -> Rendered:
    locale = note.locale if note.locale in LOCALES else "en"
    zone = ZoneInfo(note.timezone)
    start = _instant(note.data.get("start"), zone)
    end = _instant(note.data.get("end"), zone)
    template = _TEXTS[locale].get(note.kind)
    if template is not None and start is not None and end is not None:
        values = {
            "spot": str(note.data.get("spot_label", "")),
            "when": local_span(start, end, locale),
            "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}",
            "amount": str(note.data.get("amount", "")),
            "by": _BY[locale].get(str(note.data.get("by")), _BY[locale]["admin"]),
        }
        subject, paragraph = (part.format(**values) for part in template)
    else:
        subject, paragraph = note.title, note.body
    subject = f"{note.building_name}: {subject}"
    link = f"{app_url.rstrip('/')}/#/account"
    footer = _FOOTER[locale]
    text = f"{paragraph}\n\n{note.building_name}\n\n-- \n{footer}: {link}\n"
    e = {
        "subject": escape(subject),
        "paragraph": escape(paragraph),
        "building": escape(note.building_name),
        "link": escape(link, quote=True),
        "footer": escape(footer),
    }
    html = (
        f'<!doctype html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        f"<title>{e['subject']}</title></head>\n<body>\n"
        f"<p>{e['paragraph']}</p>\n<p>{e['building']}</p>\n<hr>\n"
        f'<p style="font-size:smaller"><a href="{e["link"]}">{e["footer"]}</a></p>\n'
        "</body></html>\n"
    )
    return Rendered(subject=subject, text=text, html=html)
