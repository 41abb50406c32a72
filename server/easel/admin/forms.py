"""Posted forms: read only with this session's CSRF token (else 403, a page that says why), and merchant
settings saved from them through the one settings service."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..services.merchant_settings import SettingProblem, validated
from .auth import Visitor, merchant_of
from .context import panel_of, settings_service
from .sessions import Session

CSRF_FIELD = "csrf"
CSRF_REFUSED = "This form was refused: it did not carry this session's security token. Reload the page and try again."


async def posted(request: Request, session: Session) -> dict[str, str]:
    """The form's text fields, once its CSRF token has been checked."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if not panel_of(request).sessions.csrf_ok(session, values.get(CSRF_FIELD, "")):
        raise HTTPException(403, CSRF_REFUSED)
    bad = sorted(k for k, v in values.items() if not printable(v))
    if bad:
        raise HTTPException(400, f"“{bad[0][:40]}” holds a control character (such as NUL); no field takes one.")
    return values


def printable(text: str) -> bool:
    """No NUL or other C0 control characters but tab and line breaks (a database refuses NUL in text)."""
    return not any(ord(c) < 32 and c not in "\t\r\n" for c in text)


async def save_settings(request: Request, visitor: Visitor, values: dict[str, Any]) -> list[str]:
    """Validate and save merchant settings as the signed-in user (through the service the CLI uses too);
    the problems to show, empty when saved."""
    assert visitor.user is not None
    try:
        await settings_service(request).change(merchant_of(visitor).id, validated(values), visitor.user.email)
    except SettingProblem as err:
        return err.problems
    return []
