"""parkshare.tokens verifies access tokens with cryptography's Ed25519 and its own claims
checks, not joserfc's (whose import is most of a cold start's cost of a token check). Here
both judge the same tokens: the same verdict, and the same building and user to attribute
a refusal to (only when the signature was ours)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.jwt import JWTClaimsRegistry

from parkshare import tokens
from parkshare.config import get_settings
from parkshare.tokens import ALGORITHM, InvalidToken, Principal


def joserfc_verify(token: str) -> Principal:
    """How tokens were verified before: joserfc's jwt.decode and JWTClaimsRegistry."""
    settings = get_settings()
    try:
        decoded = jwt.decode(token, tokens.verification_keys(), algorithms=[ALGORITHM])
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
    try:
        JWTClaimsRegistry(
            leeway=tokens.CLAIMS_LEEWAY_SECONDS,
            iss={"essential": True, "value": settings.jwt_issuer},
            aud={"essential": True, "value": settings.jwt_audience},
            exp={"essential": True},
            sub={"essential": True},
            bld={"essential": True},
            role={"essential": True, "values": ["resident", "admin"]},
        ).validate(decoded.claims)
        return tokens.principal_of(decoded.claims)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise InvalidToken(str(exc), dict(decoded.claims)) from exc


def verdict(verify: Callable[[str], Principal], token: str) -> tuple[Any, ...]:
    try:
        p = verify(token)
    except InvalidToken as refused:
        return ("refused", refused.building_id, refused.user_id, refused.claims)
    return ("accepted", p, p.expires_at, p.session_id)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": get_settings().jwt_issuer,
        "aud": get_settings().jwt_audience,
        "sub": str(uuid.uuid4()),
        "bld": str(uuid.uuid4()),
        "role": "resident",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not ...}


def signed(payload: dict[str, Any], *, key: Any = None, **header: Any) -> str:
    ours = tokens.signing_keys().keys[0]
    head = {"alg": ALGORITHM, "kid": ours.kid, "typ": "JWT", **header}
    return jwt.encode(
        {k: v for k, v in head.items() if v is not ...}, payload, key or ours, [ALGORITHM]
    )


def raw(header: dict[str, Any], payload: bytes) -> str:
    """Signed with our key, whatever the header says (joserfc refuses to sign some)."""
    ours = tokens.signing_keys().keys[0]
    head = b64(json.dumps(header).encode())
    body = b64(payload)
    private = ours.get_op_key("sign")
    assert isinstance(private, Ed25519PrivateKey)
    signature = private.sign(f"{head}.{body}".encode())
    return f"{head}.{body}.{b64(signature)}"


def our_header(**changes: Any) -> dict[str, Any]:
    return {"alg": ALGORITHM, "kid": tokens.signing_keys().keys[0].kid, "typ": "JWT", **changes}


def tampered() -> str:
    head, _, signature = signed(claims()).split(".")
    other = b64(json.dumps(claims(role="admin")).encode())
    return f"{head}.{other}.{signature}"


def alg_none() -> str:
    head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{b64(json.dumps(claims()).encode())}."


def another_key() -> str:
    other = OKPKey.generate_key("Ed25519", private=True)
    return signed(claims(), key=other)


def padded_signature() -> str:
    token = signed(claims())
    return token + "=" * (-len(token.rsplit(".", 1)[1]) % 4 or 2)


def now() -> int:
    return int(time.time())


def standard_alphabet() -> str:
    """A valid token written in base64's standard alphabet instead of the URL-safe one. Only a
    token with a '-' or '_' differs between the two (a signature of 86 random characters has
    neither about one time in sixteen): sign new claims until one does."""
    while True:
        token = signed(claims())
        if "-" in token or "_" in token:
            return token.replace("-", "+").replace("_", "/")


# The 20 cases the change was checked on, then more of the same kinds.
CASES: dict[str, Callable[[], str]] = {
    "valid": lambda: signed(claims()),
    "expired": lambda: signed(claims(exp=now() - 3600)),
    "expired within leeway": lambda: signed(claims(exp=now() - 10)),
    "wrong aud": lambda: signed(claims(aud="someone-else")),
    "aud list": lambda: signed(claims(aud=["someone-else", get_settings().jwt_audience])),
    "wrong iss": lambda: signed(claims(iss="https://elsewhere.example")),
    "another key": another_key,
    "bad role": lambda: signed(claims(role="superuser")),
    "missing bld": lambda: signed(claims(bld=...)),
    "future iat": lambda: signed(claims(iat=now() + 3600)),
    "future nbf": lambda: signed(claims(nbf=now() + 3600)),
    "non-UUID sub": lambda: signed(claims(sub="alice")),
    "string exp": lambda: signed(claims(exp=str(now() + 600))),
    "unknown kid": lambda: signed(claims(), kid="no-such-key"),
    "garbage": lambda: "garbage",
    "two parts": lambda: "e30.e30",
    "empty": lambda: "",
    "tampered payload": tampered,
    "alg none": alg_none,
    "padded signature": padded_signature,
    # more
    "no sid": lambda: signed(claims(sid=...)),
    "admin": lambda: signed(claims(role="admin")),
    "float exp": lambda: signed(claims(exp=now() + 600.5)),
    "bool exp": lambda: signed(claims(exp=True)),
    "NaN exp": lambda: signed(claims(exp=float("nan"))),
    "exp just now": lambda: signed(claims(exp=now() - tokens.CLAIMS_LEEWAY_SECONDS)),
    "iat within leeway": lambda: signed(claims(iat=now() + 10)),
    "missing exp": lambda: signed(claims(exp=...)),
    "missing sub": lambda: signed(claims(sub=...)),
    "blank bld": lambda: signed(claims(bld="")),
    "non-UUID bld": lambda: signed(claims(bld="building")),
    "non-UUID sid": lambda: signed(claims(sid="session")),
    "empty aud list": lambda: signed(claims(aud=[])),
    "aud list without us": lambda: signed(claims(aud=["a", "b"])),
    "aud not a string": lambda: signed(claims(aud=7)),
    "iss not a string": lambda: signed(claims(iss=["parkshare"])),
    "jti not a string": lambda: signed(claims(jti=5)),
    "no kid": lambda: signed(claims(), kid=...),
    "kid not a string": lambda: raw(our_header(kid=7), json.dumps(claims()).encode()),
    "no typ": lambda: signed(claims(), typ=...),
    "HS256 header": lambda: "eyJhbGciOiJIUzI1NiJ9." + signed(claims()).split(".", 1)[1],
    "five parts": lambda: signed(claims()) + ".a.b",
    "non-canonical signature": lambda: signed(claims())[:-1] + "B",
    "standard base64": lambda: standard_alphabet(),
    "header not an object": lambda: b64(b'["alg"]') + "." + signed(claims()).split(".", 1)[1],
    "payload not an object": lambda: raw(our_header(), b"[1, 2]"),
    "payload not JSON": lambda: raw(our_header(), b"{"),
    "crit header": lambda: raw(our_header(crit=["exp"]), json.dumps(claims()).encode()),
    "unencoded payload": lambda: raw(our_header(b64=False), json.dumps(claims()).encode()),
    "huge header": lambda: signed(claims(), typ="J" * 600),
    "not ASCII": lambda: signed(claims()) + "é",
}


@pytest.mark.parametrize("case", CASES)
def test_the_same_verdict_as_joserfc(case: str) -> None:
    token = CASES[case]()
    ours, theirs = verdict(tokens._verify, token), verdict(joserfc_verify, token)
    assert ours == theirs
    accepted = {
        "valid",
        "expired within leeway",
        "aud list",
        "no sid",
        "admin",
        "float exp",
        "iat within leeway",
        "no kid",
        "no typ",
    }
    assert (ours[0] == "accepted") == (case in accepted), ours


def test_a_refusal_is_attributed_only_when_the_signature_was_ours() -> None:
    bld, sub = str(uuid.uuid4()), str(uuid.uuid4())
    expired = verdict(tokens._verify, signed(claims(exp=now() - 3600, bld=bld, sub=sub)))
    assert expired[1:3] == (UUID(bld), UUID(sub))
    forged = OKPKey.generate_key("Ed25519", private=True)
    refused = verdict(tokens._verify, signed(claims(bld=bld, sub=sub), key=forged))
    assert refused == ("refused", None, None, {})


# Stricter than joserfc where it lets through what parkshare never signs (each would need our
# key): a role given as a list, a building id that is not a string (a 500 under joserfc),
# a header parameter other than alg, kid and typ.
STRICTER: dict[str, Callable[[], str]] = {
    "role list": lambda: signed(claims(role=["admin"])),
    "numeric bld": lambda: signed(claims(bld=5)),
    "cty header": lambda: signed(claims(), cty="JWT"),
}


@pytest.mark.parametrize("case", STRICTER)
def test_stricter_where_joserfc_lets_through_what_we_never_sign(case: str) -> None:
    token = STRICTER[case]()
    assert verdict(tokens._verify, token)[0] == "refused"
    try:
        theirs = verdict(joserfc_verify, token)[0]
    except AttributeError:  # UUID(5)
        theirs = "crashed"
    assert theirs in ("accepted", "crashed")


def test_keys_of_another_use_or_kind_are_not_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = tokens.signing_keys().keys[0].as_dict(private=False)
    token = signed(claims())
    for changed in ({"use": "enc"}, {"alg": "EdDSA"}, {"key_ops": ["sign"]}):
        jwks = json.dumps({"keys": [{**ours, **changed}]})
        monkeypatch.setenv("PARKSHARE_JWT_PUBLIC_KEYS", jwks)
        get_settings.cache_clear()
        tokens._verification_keys.cache_clear()
        tokens.verification_keys.cache_clear()
        try:
            assert verdict(tokens._verify, token) == verdict(joserfc_verify, token)
            assert verdict(tokens._verify, token)[0] == "refused", changed
        finally:
            monkeypatch.delenv("PARKSHARE_JWT_PUBLIC_KEYS")
            get_settings.cache_clear()
            tokens._verification_keys.cache_clear()
            tokens.verification_keys.cache_clear()


def test_verifying_imports_no_joserfc() -> None:
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "from parkshare import tokens\n"
        "token = sys.stdin.read()\n"
        "try:\n"
        "    tokens.verify_access_token(token)\n"
        "except tokens.InvalidToken:\n"
        "    pass\n"
        "print(any(m.startswith('joserfc') for m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=signed(claims()), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
