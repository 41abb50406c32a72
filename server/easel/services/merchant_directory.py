"""Finding a merchant and its (decrypted) secret quickly on every signed request.

Entries are cached for a few seconds, so the hot path of a signed GET costs no query and no
decryption; a secret rotated from the CLI (another process) takes effect within ``ttl`` seconds.
Unknown usernames are cached too, so a flood of bad usernames cannot turn into a flood of queries;
the cache is bounded in entries and bytes, and callers look up only names of the username form
(at most 64 characters), so no one can make it hold large keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncEngine

from ..domain.merchants import Merchant
from ..secret_box import SecretBox
from ..storage import merchants as merchant_store
from ..ttl_cache import MISSING, TtlCache


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
