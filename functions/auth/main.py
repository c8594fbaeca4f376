"""/fn/auth: accounts — log in with a password or the building's single sign-on, refresh,
log out, sign up with an invite, change the password, see and end sessions; and the public
keys every other function verifies access tokens with."""

import uuid
from functools import partial
from typing import Any

from pydantic import ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from parkshare import entrypoint, metrics
from parkshare.answers import Jwks, Sessions, SignedUp, Tokens
from parkshare.http import Body, Call, Query, Router
from parkshare.identity import accounts, password_login, sessions
from parkshare.identity.email_address import EMAIL_PATTERN
from parkshare.identity.sso import sign_in
from parkshare.tokens import public_jwks

router = Router("auth")
# The routes a caller reaches before holding a token.
public = partial(router.route, auth=False)
# Login limits count failures in Redis (parkshare.identity.login_limits): readiness reports it.
metrics.readiness("auth", optional={"redis": metrics.redis_answers})
# The refusals of the routes too long to name them inline (the OpenAPI document lists them).
LOGIN_ERRORS = ("invalid_credentials", "rate_limited")
TOKEN_ERRORS = ("invalid_token",)
SIGNUP_ERRORS = ("invalid_invite", "email_taken", "invalid_request", "weak_password")
PASSWORD_ERRORS = ("invalid_credentials", "no_password", "conflict", "weak_password")
START_ERRORS = ("sso_not_configured", "sso_failed")
CALLBACK_ERRORS = ("invalid_state", "sso_failed", "sso_forbidden", "sso_not_configured")


class LoginBody(Body):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class RefreshBody(Body):
    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordBody(Body):
    current_password: str = Field(max_length=1024)
    # Length and the rest of what makes a password weak: weak_password (passwords.weakness).
    new_password: str = Field(max_length=4096)


class SessionBody(Body):
    session_id: uuid.UUID


class SsoStartQuery(Query):
    building: uuid.UUID


class SsoCallbackQuery(Query):
    # Providers add parameters of their own (session_state, scope, hd, ...): ignore those.
    model_config = ConfigDict(extra="ignore", frozen=True)
    code: str | None = Field(default=None, max_length=4096)
    state: str | None = Field(default=None, max_length=512)
    iss: str | None = Field(default=None, max_length=500)
    error: str | None = Field(default=None, max_length=200)
    error_description: str | None = Field(default=None, max_length=500)


class SsoExchangeBody(Body):
    code: str = Field(min_length=1, max_length=200)


class SignupBody(Body):
    invite_code: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    password: str = Field(max_length=4096)
    display_name: str = Field(min_length=1, max_length=100)


@public("POST", "/login", body=LoginBody, errors=LOGIN_ERRORS, response=Tokens)
async def login(call: Call[LoginBody, None]) -> Any:
    """Log in with email and password; answers an access and a refresh token"""
    return await password_login.log_in(call.request, call.body.email, call.body.password)


@public("POST", "/refresh", body=RefreshBody, errors=TOKEN_ERRORS, response=Tokens)
async def refresh(call: Call[RefreshBody, None]) -> Any:
    """Trade a refresh token for new tokens; the old refresh token stops working"""
    return await sessions.rotate(call.body.refresh_token)


@public("POST", "/logout", body=RefreshBody, status=204)
async def logout(call: Call[RefreshBody, None]) -> None:
    """End the session of a refresh token (every token of that login)"""
    await sessions.end(call.body.refresh_token)


@public("POST", "/signup", body=SignupBody, status=201, errors=SIGNUP_ERRORS, response=SignedUp)
async def signup(call: Call[SignupBody, None]) -> Any:
    """Join a building with an invite code"""
    return {"user": await accounts.sign_up(call.body)}


@router.route("POST", "/password", body=PasswordBody, status=204, errors=PASSWORD_ERRORS)
async def password(call: Call[PasswordBody, None]) -> None:
    """Change the password; every other session ends"""
    await accounts.change_password(call.request, call.user, call.body)


@router.route("GET", "/sessions", response=Sessions)
async def my_sessions(call: Call[None, None]) -> Any:
    """The caller's sessions that can still be used"""
    return {"sessions": await sessions.still_usable(call.user)}


@router.route(
    "POST", "/sessions/revoke", body=SessionBody, status=204, errors=("session_not_found",)
)
async def revoke_session(call: Call[SessionBody, None]) -> None:
    """End one of the caller's sessions at once (its tokens stop working)"""
    await sessions.revoke(call.user, call.body.session_id)


@public("GET", "/sso/start", query=SsoStartQuery, status=302, errors=START_ERRORS)
async def sso_start(call: Call[None, SsoStartQuery]) -> Response:
    """Begin single sign-on: redirects to the building's identity provider"""
    return await sign_in.start(call.request, call.query.building)


@public("GET", "/sso/callback", query=SsoCallbackQuery, status=303, errors=CALLBACK_ERRORS)
async def sso_callback(call: Call[None, SsoCallbackQuery]) -> Response:
    """Where the identity provider sends the browser back; ends in the app"""
    return await sign_in.callback(call.request, call.query)


@public("POST", "/sso/exchange", body=SsoExchangeBody, errors=TOKEN_ERRORS, response=Tokens)
async def sso_exchange(call: Call[SsoExchangeBody, None]) -> Any:
    """Trade the one-time code of a single sign-on for access and refresh tokens"""
    return await sign_in.exchange(call.request, call.body.code)


@public("GET", "/jwks", response=Jwks)
async def jwks(call: Call[None, None]) -> Response:
    """Public keys of the access-token signer"""
    return JSONResponse(public_jwks(), headers={"Cache-Control": "public, max-age=300"})


@entrypoint.http
async def auth(request: Request) -> Response:
    return await router(request)
