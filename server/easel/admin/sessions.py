"""The panel's session cookie and CSRF tokens.

The cookie holds a signed (itsdangerous) payload: the user id, their session version (raised in the
database on sign-out and password change, which ends every session carrying the old one), the time of
sign-in (a session lasts ``EASEL_ADMIN_SESSION_TTL`` from then, not from the last click) and a random
CSRF seed. Visitors who are not signed in get a cookie with a seed only, so the sign-in form has a
token too. The cookie is HttpOnly, SameSite=Strict, limited to ``/admin`` and Secure on https.
A form's CSRF token is an HMAC of the seed; a new seed is drawn at sign-in and sign-out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from ..secret_box import SecretBox

COOKIE = "easel_admin"
PATH = "/admin"


@dataclass(frozen=True)
class Session:
    seed: str
    user_id: int | None = None
    version: int = 0
    signed_in_at: float = 0.0
    fresh: bool = False  # made for this request: the cookie must be written

    @classmethod
    def anonymous(cls) -> Session:
        return cls(secrets.token_urlsafe(16), fresh=True)

    def for_user(self, user_id: int, version: int) -> Session:
        return Session(secrets.token_urlsafe(16), user_id, version, time.time(), fresh=True)


class SessionCodec:
    def __init__(self, secrets_box: SecretBox, ttl: int) -> None:
        self._serializer = URLSafeTimedSerializer(secrets_box.derive("admin-sessions"), salt="easel.admin.session")
        self._csrf_key = secrets_box.derive("admin-csrf").encode()
        self.ttl = ttl

    def read(self, request: Request) -> Session:
        raw = request.cookies.get(COOKIE, "")
        if raw:
            try:
                data = self._serializer.loads(raw, max_age=self.ttl)
                session = Session(str(data["s"]), data.get("u"), int(data.get("v", 0)), float(data.get("t", 0)))
                if session.user_id is None or time.time() - session.signed_in_at < self.ttl:
                    return session
            except (BadSignature, KeyError, TypeError, ValueError):
                pass
        return Session.anonymous()

    def encode(self, session: Session) -> str:
        return self._serializer.dumps({"s": session.seed, "u": session.user_id, "v": session.version,
                                       "t": session.signed_in_at})

    def write(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(COOKIE, self.encode(session), max_age=self.ttl, path=PATH, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")

    def csrf_token(self, session: Session) -> str:
        return hmac.new(self._csrf_key, session.seed.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, sent: str) -> bool:
        given = sent.encode("utf-8", "surrogatepass")  # compare_digest refuses non-ASCII str
        return hmac.compare_digest(given, self.csrf_token(session).encode("ascii"))
