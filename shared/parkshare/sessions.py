"""Long-lived connections (the relay's sockets, GraphQL subscriptions) check an access token
once, when they open: its signature and claims here, and its session in the database
(parkshare.ps_enter, the one check of sessions, which every request's transaction runs too).
"""

from __future__ import annotations

import psycopg

from parkshare.problems import problem_from_db_error
from parkshare.store import db
from parkshare.tokens import InvalidToken, Principal, verify_access_token


async def verify_live(token: str) -> Principal:
    """The token's principal, if it is valid and its session has not ended."""
    principal = verify_access_token(token)
    claims = {"sub": str(principal.user_id), "bld": str(principal.building_id)}
    context = db.acting_session.set(principal.session_id)
    try:
        async with db.transaction(principal.building_id, principal.user_id):
            pass
    except psycopg.Error as exc:
        problem = problem_from_db_error(exc)
        if problem.code == "invalid_token":
            raise InvalidToken(problem.detail, claims) from exc
        raise
    finally:
        db.acting_session.reset(context)
    return principal
