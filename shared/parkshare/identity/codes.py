"""Secrets handed to a client once — refresh tokens, invite codes, single sign-on handoff
codes — and the one digest the database keeps of each instead: a copy of the database then
lets no one in. They are random and long, so a plain SHA-256 is enough (no salt or slow
hash: nothing to guess)."""

from __future__ import annotations

import hashlib
import secrets


def new_code(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
