"""A building's single sign-on settings. The client secret is stored sealed with the
building's id as associated data (a sealed secret copied into another building's row does
not open there): the admin function seals it here, the sign-in opens it here.

No `oidc` here: the admin function imports this module, and joserfc is no part of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from parkshare.identity.sealed import open_sealed, seal
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.tokens import Principal

SQL = load("functions")


async def save(admin: Principal, fields: Mapping[str, Any]) -> Any:
    """Store the provider (`set_sso`'s parameters); a `client_secret` of None keeps the
    stored one, so it is sealed only when given."""
    secret: str | None = fields["client_secret"]
    params = {
        **fields,
        "client_secret": None if secret is None else seal(secret.encode(), admin.building_id.bytes),
    }
    return await db.value(admin.building_id, admin.user_id, SQL["set_sso"], params)


def open_client_secret(sealed: bytes, building_id: UUID) -> str:
    """The secret as the admin gave it; `Unsealable` if the key changed since."""
    return open_sealed(sealed, building_id.bytes).decode()
