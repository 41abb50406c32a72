"""The shop's team (owner only): who can sign in to this merchant's panel, and inviting someone.

An invitation is ``easel admin create-user`` from the browser: the same service function makes the
user and the same one-time set-password link, shown once for the owner to pass on.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...services.users import MERCHANT_ROLES, OWNER, UserProblem
from ..auth import Visitor, merchant_of, signed_in
from ..context import panel_of
from ..forms import posted
from ..pages import render


@signed_in(OWNER)
async def team(request: Request, visitor: Visitor) -> Response:
    merchant = merchant_of(visitor)
    users = panel_of(request).users
    link, error, status = "", "", 200
    if request.method == "POST":
        form = await posted(request, visitor.session)
        role = form.get("role", "")
        try:
            if role not in MERCHANT_ROLES:
                raise UserProblem("Choose owner or staff.")
            made = await users.create(form.get("email", ""), merchant=merchant.username, role=role)
            link = users.set_password_link(made, str(request.base_url))
        except UserProblem as err:
            error, status = str(err), 400
    return render(request, visitor, "team.html", status=status, users=await users.of_merchant(merchant.id),
                  link=link, error=error)
