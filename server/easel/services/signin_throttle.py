"""Slowing down, then locking out, repeated failed sign-ins to the admin panel.

Failures are counted per account (a hash of the e-mail given, whether or not such a user exists, so the
answers tell nothing about which accounts exist) and per client address, in the database so every
process sees them. After ``EASEL_ADMIN_SIGNIN_SLOW_AFTER`` failures each new attempt must wait 1 second,
then 2, 4 … (an early attempt is refused unchecked and not counted); after ``EASEL_ADMIN_SIGNIN_LOCK_AFTER``
failures to an account, or ``EASEL_ADMIN_SIGNIN_CLIENT_LOCK_AFTER`` from an address, it is locked for
``EASEL_ADMIN_SIGNIN_LOCK`` seconds. Failures older than that are forgotten (their rows deleted at the next
failure, so the table stays small); a success forgets the account's.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from ..settings import Settings
from ..storage import users as user_store
from ..storage.types import utcnow


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is not even checked, in words for the person signing in."""

    message: str
    retry_after: int


def account_key(email: str) -> str:
    return "account:" + hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def client_key(address: str) -> str:
    return "client:" + address[:90]


class SigninThrottle:
    def __init__(self, engine: AsyncEngine, settings: Settings, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.slow_after = settings.admin_signin_slow_after
        self.lock_for = timedelta(seconds=settings.admin_signin_lock)
        self.lock_after = {"account": settings.admin_signin_lock_after,
                           "client": settings.admin_signin_client_lock_after}
        self.clock = clock

    async def refusal(self, email: str, client: str) -> Refusal | None:
        """A refusal if the account or the address is locked or must still wait; None to go ahead."""
        now = self.clock()
        async with self.engine.connect() as conn:
            recent = {}
            for key in (account_key(email), client_key(client)):
                found = await user_store.failures(conn, key)
                if found is not None and now - found.last_failure_at <= self.lock_for:
                    recent[key] = found
        for key, found in recent.items():  # a lock-out says more than a wait: it comes first
            if found.locked_until is not None and found.locked_until > now:
                return _locked(key, found.locked_until - now)
        ready = max((f.last_failure_at + self._wait(f.failures) for f in recent.values()), default=now)
        if ready > now:
            seconds = math.ceil((ready - now).total_seconds())
            return Refusal(f"Too many failed sign-ins: wait {seconds} second{'s' * (seconds != 1)} "
                           "before trying again.", seconds)
        return None

    def _wait(self, failures: int) -> timedelta:
        if failures < self.slow_after:
            return timedelta(0)
        return min(timedelta(seconds=2 ** min(failures - self.slow_after, 20)), self.lock_for)

    async def failed(self, email: str, client: str) -> Refusal | None:
        """Count a failure for both; returns the lock-out it caused, if any, to tell the user at once."""
        now = self.clock()
        caused: Refusal | None = None
        for key in (account_key(email), client_key(client)):
            for _ in range(2):  # a concurrent first failure may insert the row between our read and write
                try:
                    async with self.engine.begin() as conn:
                        found = await user_store.failures(conn, key)
                        count = 1 if found is None or now - found.last_failure_at > self.lock_for \
                            else found.failures + 1
                        locked = now + self.lock_for if count >= self.lock_after[key.split(":")[0]] else None
                        await user_store.save_failures(conn, key, user_store.Failures(count, now, locked))
                    break
                except IntegrityError:
                    continue
            if locked is not None and caused is None:
                caused = _locked(key, self.lock_for)
        async with self.engine.begin() as conn:
            await user_store.forget_failures_before(conn, now - self.lock_for)
        return caused

    async def succeeded(self, email: str) -> None:
        async with self.engine.begin() as conn:
            await user_store.forget_failures(conn, account_key(email))


def _locked(key: str, left: timedelta) -> Refusal:
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    span = f"{minutes} minute{'s' * (minutes != 1)}"
    if key.startswith("client:"):
        return Refusal(f"Sign-ins from your address are locked for {span} after too many failures.",
                       int(left.total_seconds()))
    return Refusal(f"This account is locked for {span} after too many failed sign-ins.", int(left.total_seconds()))
