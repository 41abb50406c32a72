"""Admin panel accounts: creating users, passwords, one-time set-password links, signing in.

The CLI (``easel admin create-user``) and the panel call these same functions. Passwords are hashed with
argon2id (``argon2-cffi``), in a worker thread so a hash never stalls the event loop. A set-password link
is signed with a key derived from the server key, expires after ``EASEL_ADMIN_LINK_TTL`` and carries a
fingerprint of the password hash it was made for, so it works once: setting a password changes the hash.
Setting or changing a password raises the user's session version, which ends every session they had.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from dataclasses import dataclass

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from ..secret_box import SecretBox
from ..settings import Settings
from ..storage import merchants as merchant_store
from ..storage import users as user_store
from ..storage.users import User
from .signin_throttle import Refusal, SigninThrottle

OWNER, STAFF, OPERATOR = "owner", "staff", "operator"
MERCHANT_ROLES = (OWNER, STAFF)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; this only keeps a pasted novel from being hashed
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_hasher = PasswordHasher()
# argon2id takes ~50 ms and 64 MB per hash: more at once than there are cores only queues up memory, so a
# flood of sign-ins (the throttle counts per account and address, not in all) waits here instead.
_HASHING = threading.BoundedSemaphore(os.cpu_count() or 1)  # held in the worker thread, so any event loop works


def _hash(password: str) -> str:
    with _HASHING:
        return _hasher.hash(password)


@functools.cache
def _no_user_hash() -> str:
    """Checked against when the account does not exist, so that answer takes as long as a wrong password."""
    return _hash("no such user: the same work as a wrong password")


class UserProblem(ValueError):
    """A request about users that cannot be done; the message is one sentence for a person."""


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    refusal: str = ""


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        with _HASHING:
            try:
                return _hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

    return await anyio.to_thread.run_sync(check)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserProblem(f"The password must be at least {MIN_PASSWORD} characters long.")
    if len(password) > MAX_PASSWORD:
        raise UserProblem(f"The password must be at most {MAX_PASSWORD} characters long.")


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:20]


class Users:
    def __init__(self, engine: AsyncEngine, secrets: SecretBox, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.throttle = SigninThrottle(engine, settings)
        self._links = URLSafeTimedSerializer(secrets.derive("admin-set-password-links"),
                                             salt="easel.admin.set-password")

    async def create(self, email: str, *, merchant: str | None, role: str) -> User:
        """A new user without a password (they set it through :meth:`set_password_link`)."""
        email = normalize_email(email)
        if not _EMAIL.fullmatch(email) or len(email) > 254:
            raise UserProblem(f"{email!r} is not an e-mail address.")
        if role == OPERATOR:
            if merchant is not None:
                raise UserProblem("An operator belongs to no merchant; leave out --merchant.")
        elif role not in MERCHANT_ROLES:
            raise UserProblem(f"The role must be owner or staff, not {role!r}.")
        elif merchant is None:
            raise UserProblem("Name the user's merchant with --merchant (or make an operator with --operator).")
        try:
            async with self.engine.begin() as conn:
                merchant_id = None
                if merchant is not None:
                    found = await merchant_store.merchant_by_username(conn, merchant)
                    if found is None:
                        raise UserProblem(f"There is no merchant {merchant!r} (see `easel merchant list`).")
                    merchant_id = found.id
                user_id = await user_store.insert_user(conn, email, merchant_id, role)
                user = await user_store.user_by_id(conn, user_id)
        except IntegrityError:
            raise UserProblem(f"There is already a user {email}.") from None
        assert user is not None
        return user

    async def get(self, user_id: int) -> User | None:
        async with self.engine.connect() as conn:
            return await user_store.user_by_id(conn, user_id)

    async def by_email(self, email: str) -> User:
        async with self.engine.connect() as conn:
            user = await user_store.user_by_email(conn, normalize_email(email))
        if user is None:
            raise UserProblem(f"There is no user {normalize_email(email)}.")
        return user

    async def of_merchant(self, merchant_id: int) -> list[User]:
        async with self.engine.connect() as conn:
            return await user_store.users_of_merchant(conn, merchant_id)

    # --- one-time set-password links ---------------------------------------------------------------------

    def set_password_link(self, user: User, base_url: str) -> str:
        token = self._links.dumps({"u": user.id, "p": _fingerprint(user)})
        return f"{base_url.rstrip('/')}/admin/set-password?token={token}"  # a query value: logs show ***

    async def user_of_link(self, token: str) -> User | None:
        """The user a link was made for, if it is genuine, unexpired and not used yet."""
        try:
            data = self._links.loads(token, max_age=self.settings.admin_link_ttl)
            user_id, fingerprint = int(data["u"]), str(data["p"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        user = await self.get(user_id)
        return user if user is not None and _fingerprint(user) == fingerprint else None

    async def set_password(self, user: User, password: str) -> None:
        """Store a new password; every session the user had ends."""
        check_new_password(password)
        hashed = await hash_password(password)
        async with self.engine.begin() as conn:
            await user_store.set_password_hash(conn, user.id, hashed)

    async def change_password(self, user: User, current: str, new: str) -> None:
        if not user.password_hash or not await _verify(user.password_hash, current):
            raise UserProblem("The current password is not right.")
        await self.set_password(user, new)

    async def end_sessions(self, user: User) -> None:
        async with self.engine.begin() as conn:
            await user_store.bump_session_version(conn, user.id)

    # --- signing in ------------------------------------------------------------------------------------------

    async def sign_in(self, email: str, password: str, client: str) -> SignInResult:
        """The user, or why not: throttled first, then the password checked (always the same work)."""
        email = normalize_email(email)[:254]
        refusal: Refusal | None = await self.throttle.refusal(email, client)
        if refusal is not None:
            return SignInResult(None, refusal.message)
        async with self.engine.connect() as conn:
            user = await user_store.user_by_email(conn, email)
        stored = user.password_hash if user is not None and user.password_hash else \
            await anyio.to_thread.run_sync(_no_user_hash)
        matches = await _verify(stored, password)  # always: an unknown account takes as long as a wrong password
        if user is None or not user.password_hash or not matches:
            locked = await self.throttle.failed(email, client)
            return SignInResult(None, locked.message if locked else "The e-mail address or password is not right.")
        await self.throttle.succeeded(email)
        rehash = await hash_password(password) if _hasher.check_needs_rehash(stored) else None
        async with self.engine.begin() as conn:
            await user_store.signed_in(conn, user.id, rehash)
        return SignInResult(user)
