"""What the emails say: every kind with a template in every language, on the building's
clock with the date, escaped in HTML, and the in-app text for kinds without one."""

from __future__ import annotations

from typing import Any

import pytest

from parkshare.config import Settings
from parkshare.notify import templates, transports
from parkshare.notify.templates import LOCALES, Note, render

APP_URL = "https://parking.example.org"
# 07:30-09:00 UTC is 08:30-10:00 in Paris in winter.
WINTER = {"start": "2026-01-05T07:30:00Z", "end": "2026-01-05T09:00:00Z"}


def note(kind: str, locale: str = "en", **data: Any) -> Note:
    return Note(
        kind=kind,
        title="Title in English",
        body="Body in English.",
        data={"spot_label": "P-3", "amount": 3, **WINTER, **data},
        locale=locale,
        building_name="Les Tilleuls",
        timezone="Europe/Paris",
    )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", sorted(templates._TEXTS["en"]))
def test_every_templated_kind_speaks_every_language(kind: str, locale: str) -> None:
    mail = render(note(kind, locale, by="owner"), APP_URL)
    assert mail.subject.startswith("Les Tilleuls: ")
    assert "Title in English" not in mail.subject
    assert "P-3" in mail.text
    assert f"{APP_URL}/#/account" in mail.text
    assert templates._FOOTER[locale] in mail.text and templates._FOOTER[locale] in mail.html
    assert f'lang="{locale}"' in mail.html
    # On the building's clock, not UTC's.
    assert "08:30" in mail.text and "07:30" not in mail.text


def test_the_date_is_written_in_the_readers_language() -> None:
    texts = {locale: render(note("booking.confirmed", locale), APP_URL).text for locale in LOCALES}
    assert "Mon 5 Jan 2026, 08:30\u201310:00" in texts["en"]
    assert "lun. 5 janv. 2026, 08:30\u201310:00" in texts["fr"]
    assert "Mo. 5. Jan. 2026, 08:30\u201310:00" in texts["de"]


def test_a_window_across_midnight_names_both_days() -> None:
    late = note("spot.booked", start="2026-07-10T20:00:00Z", end="2026-07-11T06:00:00Z")
    # Paris in summer is UTC+2.
    assert "Fri 10 Jul 2026, 22:00 \u2013 Sat 11 Jul 2026, 08:00" in render(late, APP_URL).text


@pytest.mark.parametrize(
    ("by", "said"), [("parker", "le conducteur"), ("admin", "un administrateur")]
)
def test_a_cancellation_says_who(by: str, said: str) -> None:
    assert f"annulée par {said}." in render(note("booking.cancelled", "fr", by=by), APP_URL).text


def test_html_is_escaped() -> None:
    hostile = Note(
        kind="spot.booked",
        title="t",
        body="b",
        data={"spot_label": '<img src=x onerror="alert(1)">', **WINTER},
        locale="en",
        building_name="Tom & Jerry's <b>garage</b>",
        timezone="Europe/Paris",
    )
    mail = render(hostile, 'https://x.example/"><script>')
    assert "<img" not in mail.html and "<b>" not in mail.html and "<script>" not in mail.html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in mail.html
    assert "Tom &amp; Jerry&#x27;s &lt;b&gt;garage&lt;/b&gt;" in mail.html
    # Plain text is what it is.
    assert "Tom & Jerry's <b>garage</b>" in mail.text


def test_a_kind_without_a_template_says_the_in_app_text() -> None:
    # Every kind of today has a template; one added later without its own says what the app
    # says until it has one.
    mail = render(note("booking.moved", "fr"), APP_URL)
    assert mail.subject == "Les Tilleuls: Title in English"
    assert "Body in English." in mail.text
    assert "Modifier ce que vous recevez" in mail.text


def test_an_unknown_locale_falls_back_to_english() -> None:
    assert render(note("spot.booked", "xx"), APP_URL).subject == (
        "Les Tilleuls: Your spot P-3 was booked"
    )


def test_the_mail_line_never_shows_the_password() -> None:
    smtp = Settings(smtp_url="smtps://mailer:s3cr%40t@smtp.example.org:465")
    assert transports.describe(smtp) == (
        "mail: on, SMTP smtps://mailer@smtp.example.org:465, from parkshare <parkshare@localhost>"
    )
    ses = Settings(smtp_url=None, ses_region="eu-west-1")
    assert transports.describe(ses).startswith("mail: on, Amazon SES in eu-west-1")
    assert transports.describe(Settings(smtp_url=None, ses_region=None)).startswith("mail: off")
