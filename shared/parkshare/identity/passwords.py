"""Passwords: hashing with argon2id (the database stores only the encoded hash), and the
choice of a new one, following NIST SP 800-63B: a length, no composition rules, and a
refusal of what guessers try first (the most common passwords, repeated or sequential
characters, the account's own name)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024
# Runs of keys that people type as a password: digits, the alphabet, keyboard rows.
_SEQUENCES = (
    "01234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "qwertzuiopasdfghjklyxcvbnm",
)

# Words of this service's own that a guesser tries first (NIST: "context-specific words").
_CONTEXT_WORDS = ("parkshare", "park share")

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 passwords found most often in breaches (the list zxcvbn maintains). Loaded
    on the first sign-up or password change, not at import: logins never need it."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def weakness(password: str, email: str | None = None) -> str | None:
    """Why `password` would be easy to guess (a sentence for the person choosing it), or
    None if it will do."""
    if len(password) < MIN_LENGTH:
        return f"a password has at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    folded = password.casefold()
    common = common_passwords()
    if folded in common:
        return "this is one of the most common passwords"
    # `Dragon2024!`: a common word with digits or symbols around it.
    core = folded.strip("0123456789!@#$%^&*?.,;:-_+=~ ")
    if len(core) >= 4 and core in common:
        return "this is a common password with digits or symbols added"
    if len(set(folded)) < 4:
        return "this repeats too few different characters"
    if any(folded in run or folded in run[::-1] for run in _SEQUENCES):
        return "this is a run of keys in order"
    if any(word in folded for word in _CONTEXT_WORDS):
        return "this contains the name of the service"
    if email:
        local = email.split("@", 1)[0].casefold()
        if folded == email.casefold() or (len(local) >= 3 and local in folded):
            return "this contains your email address"
    return None
