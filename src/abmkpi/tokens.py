"""API tokens: roles, creation, listing and revocation.

A token reads ``abmkpi_<id>_<secret>``. The store keeps only a salted
scrypt hash of the whole token, so a copy of the workspace file does not
give access to the API; the token itself is shown once, when it is created.
The id in the token finds the row to verify against without scanning.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from abmkpi.errors import AbmkpiError, NotFoundError, UserMessage
from abmkpi.free_text import checked_text

if TYPE_CHECKING:
    from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "abmkpi"
MAX_NAME_LENGTH = 100

# scrypt cost: 2^14 × 8 × 128 bytes = 16 MiB of memory per verification, the
# usual interactive-login setting. Verified tokens are cached by the server,
# so the cost is paid once per token and process.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32


class Role(StrEnum):
    """The permission level of a token: admin ⊃ editor ⊃ viewer."""

    VIEWER = "viewer"  # read the dashboard and the read API
    EDITOR = "editor"  # also send activities to the ingest API
    ADMIN = "admin"  # also create, list and revoke tokens through the API

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        """Return whether this role includes everything ``needed`` may do."""
        return self.rank >= needed.rank


_RANKS = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class TokenInfo:
    """A stored token without its secret."""

    id: int
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "revoked_at": self.revoked_at,
        }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError as error:
        roles = ", ".join(role.value for role in Role)
        raise AbmkpiError(
            UserMessage(
                "invalid role %(text)r; use one of %(roles)s", text=text, roles=roles
            )
        ) from error


def hash_token(token: str) -> str:
    """Return the salted scrypt hash of a token, with its parameters."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(token, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return "$".join(
        [
            "scrypt",
            str(_SCRYPT_N),
            str(_SCRYPT_R),
            str(_SCRYPT_P),
            base64.b64encode(salt).decode("ascii"),
            base64.b64encode(key).decode("ascii"),
        ]
    )


def token_matches(token: str, stored_hash: str) -> bool:
    """Return whether a token hashes to the stored hash (in constant time)."""
    try:
        scheme, n, r, p, salt, key = stored_hash.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = _scrypt(token, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        logger.error("stored token hash has an unknown format; token rejected")
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(token: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        token.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=2 * 128 * n * r * p,
        dklen=_KEY_BYTES,
    )


def token_id_of(token: str) -> int | None:
    """Return the id a token claims, or None when it is not shaped like one."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[2]:
        return None
    if not parts[1].isdigit() or len(parts[1]) > 18:
        return None
    return int(parts[1])


def create_token(store: Store, name: str, role: Role) -> tuple[TokenInfo, str]:
    """Store a new token and return it with its secret, which is not kept."""
    name = str(
        checked_text(name, "name", MAX_NAME_LENGTH, required=True, label="token name")
    )
    with store.transaction():
        token_id = int(store.scalar("SELECT nextval('api_token_ids')"))
        token = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
        created = _now()
        store.execute(
            "INSERT INTO api_tokens (id, name, role, token_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [token_id, name, role.value, hash_token(token), created],
            table="api_tokens",
        )
    logger.info("created API token %d (%s, role %s)", token_id, name, role.value)
    return TokenInfo(token_id, name, role, created), token


_COLUMNS = "id, name, role, created_at, last_used_at, revoked_at"


def _info(row: tuple) -> TokenInfo:
    token_id, name, role, created, used, revoked = row
    return TokenInfo(int(token_id), name, Role(role), created, used, revoked)


def list_tokens(store: Store) -> list[TokenInfo]:
    rows = store.fetch_all(f"SELECT {_COLUMNS} FROM api_tokens ORDER BY id")
    return [_info(row) for row in rows]


def get_token(store: Store, token_id: int) -> TokenInfo | None:
    row = store.fetch_one(f"SELECT {_COLUMNS} FROM api_tokens WHERE id = ?", [token_id])
    return None if row is None else _info(row)


def stored_hash(store: Store, token_id: int) -> str | None:
    return store.scalar("SELECT token_hash FROM api_tokens WHERE id = ?", [token_id])


def revoke_token(store: Store, token_id: int) -> TokenInfo:
    """Revoke a token; revoking it again keeps the first revocation time."""
    with store.transaction():
        info = get_token(store, token_id)
        if info is None:
            raise NotFoundError(
                UserMessage(
                    "API token %(id)s not found; 'abmkpi token list' shows the ids",
                    id=token_id,
                )
            )
        if info.revoked_at is None:
            store.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ?",
                [_now(), token_id],
                table="api_tokens",
            )
            logger.info("revoked API token %d (%s)", token_id, info.name)
    revoked = get_token(store, token_id)
    assert revoked is not None
    return revoked


def touch_token(store: Store, token_id: int, when: datetime) -> None:
    store.execute(
        "UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
        [when, token_id],
        table="api_tokens",
    )
