"""Access tokens: what verification keeps between requests, and what it never keeps."""

from __future__ import annotations

import time
import uuid

import pytest

from parkshare import tokens
from parkshare.tokens import InvalidToken, Principal, issue_access_token, verify_access_token


def principal() -> Principal:
    return Principal(uuid.uuid4(), uuid.uuid4(), "resident", session_id=uuid.uuid4())


def test_a_verified_token_is_kept_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_access_token(principal(), now=time.time())
    first = verify_access_token(token)
    assert tokens._VERIFIED[token] == first
    assert verify_access_token(token) is first
    expires = first.expires_at
    assert expires is not None
    later = expires + tokens.CLAIMS_LEEWAY_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(InvalidToken):
        verify_access_token(token)
    assert token not in tokens._VERIFIED


def test_a_refused_token_is_never_kept() -> None:
    good = issue_access_token(principal())
    head, payload, signature = good.split(".")
    tampered = f"{head}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verify_access_token(tampered)
    expired = issue_access_token(principal(), now=time.time() - 3600)
    with pytest.raises(InvalidToken):
        verify_access_token(expired)
    assert tampered not in tokens._VERIFIED and expired not in tokens._VERIFIED


def test_the_kept_tokens_are_bounded() -> None:
    for _ in range(tokens.VERIFIED_MAX + 10):
        verify_access_token(issue_access_token(principal()))
    assert len(tokens._VERIFIED) <= tokens.VERIFIED_MAX
