"""Signing in and out, setting a password from a one-time link, changing one's password."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...services.users import OPERATOR, UserProblem
from ..auth import Visitor, safe_next, signed_in, visitor_of
from ..context import panel_of
from ..forms import posted
from ..pages import keep_session, render
from ..sessions import Session

ALL_ROLES = ("owner", "staff", OPERATOR)


def _home(visitor_role: str) -> str:
    return "/admin/merchants" if visitor_role == OPERATOR else "/admin/"


async def sign_in(request: Request) -> Response:
    visitor = await visitor_of(request)
    target = safe_next(request.query_params.get("next", ""))
    if request.method == "GET":
        if visitor.user is not None:
            return RedirectResponse(_home(visitor.role), status_code=303)
        return render(request, visitor, "sign_in.html", next=target, email="", error="")
    form = await posted(request, visitor.session)
    email, password = form.get("email", ""), form.get("password", "")
    target = safe_next(form.get("next", ""))
    client = request.client.host if request.client else "unknown"
    result = await panel_of(request).users.sign_in(email, password, client)
    if result.user is None:
        return render(request, visitor, "sign_in.html", status=401, next=target, email=email[:254],
                      error=result.refusal)
    session = visitor.session.for_user(result.user.id, result.user.session_version)
    if target == "/admin/" and result.user.role == OPERATOR:
        target = _home(OPERATOR)
    return keep_session(request, RedirectResponse(target, status_code=303), session)


async def sign_out(request: Request) -> Response:
    """Ends every session of the user (their session version is raised), then a fresh anonymous one."""
    visitor = await visitor_of(request)
    await posted(request, visitor.session)
    if visitor.user is not None:
        await panel_of(request).users.end_sessions(visitor.user)
    return keep_session(request, RedirectResponse("/admin/sign-in", status_code=303), Session.anonymous())


async def set_password(request: Request) -> Response:
    """The page a one-time link from ``easel admin create-user`` opens."""
    visitor = await visitor_of(request)
    users = panel_of(request).users
    user = await users.user_of_link(request.query_params.get("token", ""))
    if user is None:
        raise HTTPException(404, "This link is not valid: it may have expired or been used already.")
    if request.method == "GET":
        return render(request, visitor, "set_password.html", email=user.email, error="")
    form = await posted(request, visitor.session)
    password = form.get("password", "")
    if password != form.get("confirm", ""):
        return render(request, visitor, "set_password.html", status=400, email=user.email,
                      error="The two passwords differ.")
    try:
        await users.set_password(user, password)
    except UserProblem as err:
        return render(request, visitor, "set_password.html", status=400, email=user.email, error=str(err))
    return keep_session(request, RedirectResponse("/admin/sign-in?done=password", status_code=303),
                        Session.anonymous())


@signed_in(*ALL_ROLES)
async def account(request: Request, visitor: Visitor) -> Response:
    """Change one's own password; every other session of the user ends, this one is renewed."""
    if request.method == "GET":
        return render(request, visitor, "account.html", error="", done=request.query_params.get("done") == "1")
    form = await posted(request, visitor.session)
    assert visitor.user is not None
    new = form.get("new", "")
    users = panel_of(request).users
    try:
        if new != form.get("confirm", ""):
            raise UserProblem("The two new passwords differ.")
        await users.change_password(visitor.user, form.get("current", ""), new)
    except UserProblem as err:
        return render(request, visitor, "account.html", status=400, error=str(err), done=False)
    user = await users.get(visitor.user.id)
    assert user is not None
    session = visitor.session.for_user(user.id, user.session_version)
    return keep_session(request, RedirectResponse("/admin/account?done=1", status_code=303), session)
