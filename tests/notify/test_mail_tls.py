"""SMTP over TLS with a login, against real aiosmtpd servers that speak only TLS: `smtp://`
upgrades with STARTTLS (the server refuses anything before it), `smtps://` is TLS from the
first byte; the user and password come from the URL, percent-decoded. The servers' chain is
a CA made here, trusted through SSL_CERT_FILE as a deployment would trust its own."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import TestDb
from tests.gateway.conftest import free_port
from tests.notify.conftest import Sink, SmtpServer, deliveries
from tests.notify.test_mail_smtp import book, send_all
from tests.support import Garage

USER, PASSWORD = "mailer", "p@ss:word"
# aiosmtpd's warning for the smtps server, whose TLS it does not see as its own.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@dataclass(frozen=True)
class Chain:
    ca_file: Path
    server: ssl.SSLContext


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture
def chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Chain:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("parkshare test CA"))
        .issuer_name(_name("parkshare test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    # OpenSSL's default trust store: what ssl.create_default_context() loads.
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    return Chain(ca_file, server)


@dataclass
class Logins:
    seen: list[tuple[str, str, bool]] = field(default_factory=list)

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        assert server.transport is not None
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.seen.append((login, password, encrypted))
        # handled=False: aiosmtpd answers the refusal (535) itself.
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)


@dataclass
class TlsServer:
    server: SmtpServer
    logins: Logins

    def url(self, scheme: str, password: str = "p%40ss%3Aword") -> str:
        return f"{scheme}://{USER}:{password}@127.0.0.1:{self.server.port}"


def _serve(chain: Chain, *, implicit: bool) -> Iterator[TlsServer]:
    sink, logins, port = Sink(), Logins(), free_port()
    tls: dict[str, Any] = (
        # aiosmtpd offers AUTH only after a STARTTLS of its own unless told TLS is there.
        {"ssl_context": chain.server, "auth_require_tls": False}
        if implicit
        else {"tls_context": chain.server, "require_starttls": True}
    )
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        authenticator=logins,
        auth_required=True,
        **tls,
    )
    controller.start()
    try:
        yield TlsServer(SmtpServer(sink, port), logins)
    finally:
        controller.stop()


@pytest.fixture
def starttls_server(chain: Chain) -> Iterator[TlsServer]:
    yield from _serve(chain, implicit=False)


@pytest.fixture
def implicit_tls_server(chain: Chain) -> Iterator[TlsServer]:
    yield from _serve(chain, implicit=True)


class UrlServer(SmtpServer):
    def __init__(self, sink: Sink, port: int, url: str) -> None:
        super().__init__(sink, port)
        self._url = url

    @property
    def url(self) -> str:
        return self._url


async def test_smtp_upgrades_with_starttls_and_logs_in(
    garage: Garage, database: TestDb, starttls_server: TlsServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    tls = starttls_server
    target = UrlServer(tls.server.sink, tls.server.port, tls.url("smtp"))
    assert await send_all(database, target) == {"sent": 2}
    assert len(tls.server.sink.messages) == 2
    # One connection for the round, logged in over TLS.
    assert tls.logins.seen == [(USER, PASSWORD, True)]


async def test_smtps_speaks_tls_from_the_start(
    garage: Garage, database: TestDb, implicit_tls_server: TlsServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    tls = implicit_tls_server
    target = UrlServer(tls.server.sink, tls.server.port, tls.url("smtps"))
    assert await send_all(database, target) == {"sent": 2}
    assert tls.logins.seen == [(USER, PASSWORD, True)]


async def test_a_refused_login_waits_for_better_credentials(
    garage: Garage, database: TestDb, starttls_server: TlsServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    tls = starttls_server
    wrong = UrlServer(tls.server.sink, tls.server.port, tls.url("smtp", password="nope"))
    assert await send_all(database, wrong) == {"pending": 1}
    assert "login refused" in next(r["last_error"] for r in deliveries(garage) if r["attempts"])
    assert tls.server.sink.messages == []
