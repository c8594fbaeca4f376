"""How a message leaves: SMTP (aiosmtplib) or Amazon SES v2 (boto3), behind one small
interface. `send` returns once the far side has taken responsibility for the message (an
SMTP server's 250 to the end of DATA, SES's MessageId) and raises `DeliveryError` otherwise,
saying whether trying again later may succeed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from parkshare.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


@dataclass(frozen=True, slots=True)
class Message:
    delivery_id: str
    to: str
    sender: str
    subject: str
    text: str
    html: str

    @property
    def message_id(self) -> str:
        # One per delivery, whichever attempt carries it: a receiver that saw an attempt
        # whose acceptance we never recorded can tell the repeat apart.
        return f"<{self.delivery_id}@parkshare>"

    def email(self) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = self.message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        return message


class DeliveryError(Exception):
    """An attempt that did not deliver; `retryable`: a later attempt may succeed (4xx, a
    timeout, a server that cannot be reached), else it never will (5xx, a rejected
    address). `connection`: the server itself is out of reach, so the next message would
    fare no better now."""

    def __init__(self, reason: str, *, retryable: bool, connection: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.connection = connection


class Transport(Protocol):
    name: str

    async def send(self, message: Message) -> None: ...

    async def close(self) -> None: ...


class SmtpTransport:
    """One connection, opened on the first send and kept for those that follow until
    `close`. `smtp://` upgrades with STARTTLS when the server offers it; `smtps://` speaks
    TLS from the start; `user:pass@` logs in."""

    name = "smtp"

    def __init__(self, url: str, timeout_seconds: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("the SMTP URL is smtp://host:port or smtps://user:pass@host:port")
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._implicit_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout_seconds
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._implicit_tls,
            # None: STARTTLS if the server offers it (never after implicit TLS).
            start_tls=False if self._implicit_tls else None,
            username=self._username,
            password=self._password,
            timeout=self._timeout,
        )
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            # Our credentials, not the message: once they are fixed it goes, as the others.
            raise DeliveryError(
                f"SMTP login refused: {exc}"[:2000], retryable=True, connection=True
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _smtp_error(exc, connection=True) from exc
        self._client = client
        return client

    async def send(self, message: Message) -> None:
        client = await self._connected()
        try:
            # Answers after the server's reply to the end of DATA: a 250, or raises.
            await client.send_message(message.email())
        except (aiosmtplib.SMTPException, OSError) as exc:
            # After a refusal the session's state is the server's to know: start afresh.
            await self._drop()
            raise _smtp_error(exc) from exc

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _smtp_error(exc: BaseException, *, connection: bool = False) -> DeliveryError:
    code = getattr(exc, "code", None)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        code = exc.recipients[0].code
    unreachable = connection or isinstance(
        exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected | OSError
    )
    # Only a 5xx reply is final (RFC 5321 §4.2.1); everything else may pass.
    permanent = isinstance(code, int) and 500 <= code < 600
    return DeliveryError(
        f"{type(exc).__name__}: {exc}"[:2000], retryable=not permanent, connection=unreachable
    )


# SES's answers that no later attempt will change (the rest: throttling, its own faults).
_SES_FINAL = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "AccountSuspendedException",
    "SendingPausedException",
    "BadRequestException",
    "NotFoundException",
}


class SesTransport:
    """Amazon SES v2 through boto3, the whole MIME message as raw content so that our
    Message-ID and both parts go as they are. Credentials come from boto3's usual chain;
    AWS_ENDPOINT_URL (read by boto3 itself) points it at any SES-compatible endpoint."""

    name = "ses"

    def __init__(self, region: str, timeout_seconds: float) -> None:
        self._region = region
        self._timeout = timeout_seconds
        self._client: SESV2Client | None = None

    def _ses(self) -> SESV2Client:
        if self._client is None:
            import boto3  # only where SES is configured: it costs an import of ~0.3 s
            from botocore.config import Config

            self._client = boto3.client(
                "sesv2",
                region_name=self._region,
                config=Config(
                    connect_timeout=self._timeout,
                    read_timeout=self._timeout,
                    # Our own backoff retries; boto3's would stretch one attempt.
                    retries={"max_attempts": 1, "mode": "standard"},
                ),
            )
        return self._client

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: Message) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._ses().send_email(
                FromEmailAddress=message.sender,
                Destination={"ToAddresses": [message.to]},
                Content={"Raw": {"Data": message.email().as_bytes()}},
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            raise DeliveryError(
                f"SES {code}: {exc}"[:2000], retryable=code not in _SES_FINAL
            ) from exc
        except BotoCoreError as exc:
            raise DeliveryError(f"SES: {exc}"[:2000], retryable=True, connection=True) from exc

    async def close(self) -> None:
        return None


def from_settings(settings: Settings) -> Transport | None:
    """The configured transport (SMTP before SES), or None: no mail."""
    if settings.smtp_url is not None:
        return SmtpTransport(settings.smtp_url.get_secret_value(), settings.mail_timeout_seconds)
    if settings.ses_region:
        return SesTransport(settings.ses_region, settings.mail_timeout_seconds)
    return None


def describe(settings: Settings) -> str:
    """One line for people: whether mail is on and through what, never a password."""
    if settings.smtp_url is not None:
        parts = urlsplit(settings.smtp_url.get_secret_value())
        user = f"{unquote(parts.username)}@" if parts.username else ""
        where = f"{parts.scheme}://{user}{parts.hostname}" + (
            f":{parts.port}" if parts.port else ""
        )
        return f"mail: on, SMTP {where}, from {settings.mail_from}"
    if settings.ses_region:
        return f"mail: on, Amazon SES in {settings.ses_region}, from {settings.mail_from}"
    return "mail: off (set PARKSHARE_SMTP_URL or PARKSHARE_SES_REGION); in-app notifications only"
