"""Finding a merchant and its (decrypted) secret quickly on every signed request.

Entries are cached for a few seconds, so the hot path of a signed GET costs no query and no
decryption; a secret rotated from the CLI (another process) takes effect within ``ttl`` seconds.
Unknown usernames are cached too, so a flood of bad usernames cannot turn into a flood of queries;
the cache is bounded in entries and bytes, and callers look up only names of the username form
(at most 64 characters), so no one can make it hold large keys.

Creating a merchant (``create_merchant``) is here too: ``easel merchant create`` and the operator's page
in the admin panel both call it, so the username rule, the uniqueness check and the secret shown once are
written once.
"""

from __future__ import annotations

import secrets as pysecrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from ..domain.merchants import Merchant, validate_username
from ..secret_box import SecretBox
from ..storage import merchants as merchant_store
from ..ttl_cache import MISSING, TtlCache


class MerchantExists(ValueError):
    """A merchant with this username already exists."""


async def create_merchant(engine: AsyncEngine, secrets: SecretBox, username: str, fields: Mapping[str, Any],
                          api_key: str | None = None) -> tuple[Merchant, str]:
    """A new merchant with ``fields`` (checked by ``merchant_settings.validated``) and its first widget key;
    returns it with its API secret, which is stored encrypted and shown to the caller once. Raises
    ValueError naming the username's problem, or MerchantExists."""
    validate_username(username)
    secret = pysecrets.token_urlsafe(32)
    taken = MerchantExists(f"a merchant named {username!r} already exists")
    try:
        async with engine.begin() as conn:
            if await merchant_store.merchant_by_username(conn, username):
                raise taken
            made = await merchant_store.create_merchant(conn, username, secrets.encrypt(secret), fields, api_key)
    except IntegrityError:  # created meanwhile by another request
        raise taken from None
    return made, secret


@dataclass(frozen=True)
class MerchantCredentials:
    merchant: Merchant
    secret: str


class MerchantDirectory:
    def __init__(self, engine: AsyncEngine, secrets: SecretBox, ttl: float = 5.0, max_entries: int = 10_000,
                 max_bytes: int = 8_000_000):
        self.engine = engine
        self.secrets = secrets
        self._by_username: TtlCache[str, MerchantCredentials | None] = TtlCache(ttl, max_entries, max_bytes)
        # Signed requests that carried nothing but the signature (a polled GET), once they verified: the
        # request's exact bytes → (username, the secret they verified under); see api/auth.py. Bounded
        # like the cache above: at most max_entries, each of at most max_bytes / max_entries bytes.
        self.verified_reads: LRUCache[tuple[str, str, bytes, bytes], tuple[str, str]] = LRUCache(max(1, max_entries))
        self.verified_read_max_bytes = max_bytes // max(1, max_entries)

    async def by_username(self, username: str) -> MerchantCredentials | None:
        cached = self._by_username.get(username)
        if cached is not MISSING:
            return cached
        async with self.engine.connect() as conn:
            merchant = await merchant_store.merchant_by_username(conn, username)
            secret = None
            if merchant is not None:
                secret = self.secrets.decrypt(await merchant_store.encrypted_secret(conn, merchant.id))
        found = MerchantCredentials(merchant, secret) if merchant and secret is not None else None
        return self._by_username.put(username, found)

    def forget(self, username: str) -> None:
        self._by_username.pop(username)

    @property
    def cache(self) -> TtlCache[str, MerchantCredentials | None]:
        """The bounded cache itself (its size is what a flood of lookups can grow)."""
        return self._by_username
