"""`parkshare dev` says at start whether mail is on and through what, never the password."""

from __future__ import annotations

from tests.conftest import TestDb
from tests.servers import parkshare_dev


def test_dev_says_mail_is_on_and_through_which_server(database: TestDb, redis_url: str) -> None:
    # Nothing listens on port 1: the worker's attempts fail fast and are retried later.
    url = "smtps://mailer:s3cret@127.0.0.1:1"
    with parkshare_dev(database, redis_url, PARKSHARE_SMTP_URL=url) as server:
        log = server.log.read_text()
    assert "mail: on, SMTP smtps://mailer@127.0.0.1:1, from " in log
    assert "s3cret" not in log


def test_dev_says_mail_is_off_without_a_transport(database: TestDb, redis_url: str) -> None:
    with parkshare_dev(database, redis_url) as server:
        log = server.log.read_text()
    assert "mail: off (set PARKSHARE_SMTP_URL or PARKSHARE_SES_REGION)" in log
