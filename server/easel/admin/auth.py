"""Who is asking, and whether their role lets them in.

A session counts only while its version equals the user's in the database (sign-out and password
changes raise it). Roles: ``owner`` sees everything of their merchant, ``staff`` sees orders but no
money figures and no team, ``operator`` (no merchant) manages merchants. A page for other roles answers
403 with a page that says why; a page of another merchant's order answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..domain.merchants import Merchant
from ..services.users import OPERATOR, OWNER, STAFF
from ..storage import merchants as merchant_store
from ..storage.users import User
from .context import panel_of
from .sessions import Session

MERCHANT_ROLES = (OWNER, STAFF)


@dataclass(frozen=True)
class Visitor:
    session: Session
    user: User | None = None
    merchant: Merchant | None = None

    @property
    def role(self) -> str:
        return self.user.role if self.user else ""

    @property
    def sees_money(self) -> bool:
        """Prices, totals and revenue are for owners (and not staff)."""
        return self.role == OWNER


async def visitor_of(request: Request) -> Visitor:
    panel = panel_of(request)
    session = panel.sessions.read(request)
    if session.user_id is None:
        return Visitor(session)
    user = await panel.users.get(session.user_id)
    if user is None or user.session_version != session.version:
        return Visitor(Session.anonymous())  # ended elsewhere: a fresh anonymous cookie replaces it
    merchant = None
    if user.merchant_id is not None:
        async with panel.runtime.engine.connect() as conn:
            merchant = await merchant_store.merchant_by_id(conn, user.merchant_id)
        if merchant is None:
            return Visitor(Session.anonymous())
    return Visitor(session, user, merchant)


Handler = Callable[[Request, Visitor], Awaitable[Response]]


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/admin/sign-in?next={quote(target, safe='')}", status_code=303)


def signed_in(*roles: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Decorate a view: the visitor must be signed in with one of ``roles``."""

    def wrap(view: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            visitor = await visitor_of(request)
            if visitor.user is None:
                return sign_in_redirect(request)
            if visitor.role not in roles:
                raise HTTPException(403, _why_not(roles))
            return await view(request, visitor)

        endpoint.__name__ = view.__name__
        endpoint.__doc__ = view.__doc__
        return endpoint

    return wrap


def merchant_of(visitor: Visitor) -> Merchant:
    assert visitor.merchant is not None  # signed_in(*MERCHANT_ROLES) let only merchant users in
    return visitor.merchant


def _why_not(roles: tuple[str, ...]) -> str:
    if roles == (OPERATOR,):
        return "This page is for the operator of this easel."
    if roles == (OWNER,):
        return "This page is for the shop's owner; ask them if you need it."
    return "This page is for a shop's owner and staff; operator accounts manage merchants."


def safe_next(target: str) -> str:
    """Where to go after signing in: only a page of the panel, never another site."""
    if target.startswith("/admin/") and not target.startswith("//") and "\\" not in target and \
            all(32 < ord(c) < 127 for c in target):
        return target
    return "/admin/"
