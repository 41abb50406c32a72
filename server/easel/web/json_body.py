"""The one way a JSON request body is read outside the order API: UTF-8, an object, nested at most so deep.

``json.loads`` recurses once per nested array or object, so 5,000 brackets raise ``RecursionError``
(not a ``ValueError``) and surface as a 500. :func:`check_depth` counts brackets outside strings in one
regular-expression pass (``easel.json_depth``) before anything is parsed, so a hostile body costs one scan
and a 400. Every failure is a :class:`JsonBodyError` whose message says what was wrong; each surface turns it into its
own error shape (problem details in the widget, a JSON error in the demo store, 400 to a vendor).
"""

from __future__ import annotations

import json
from typing import Any

from ..json_depth import too_deep_at


class JsonBodyError(ValueError):
    """The body is not a JSON object easel accepts; the message says why, in one sentence."""


def check_depth(text: str | bytes, max_depth: int) -> None:
    """Raise :class:`JsonBodyError` when arrays and objects in ``text`` nest deeper than ``max_depth``."""
    if isinstance(text, bytes):  # brackets, quotes and backslashes are ASCII, never part of a UTF-8 sequence
        text = text.decode("latin-1")
    if too_deep_at(text, max_depth) is not None:
        raise JsonBodyError(f"the JSON nests arrays and objects deeper than {max_depth} levels")


def _no_constant(name: str) -> Any:
    raise JsonBodyError(f"{name} is not a JSON number")


def parse_json_object(raw: bytes, max_depth: int, *, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object in ``raw``; ``empty`` (when given) stands for an empty body."""
    if not raw.strip() and empty is not None:
        return dict(empty)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonBodyError("the body is not valid UTF-8") from None
    check_depth(text, max_depth)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except JsonBodyError:
        raise
    except (ValueError, RecursionError):
        raise JsonBodyError("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise JsonBodyError("the body must be a JSON object")
    return data
