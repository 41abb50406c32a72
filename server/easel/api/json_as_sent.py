"""A JSON body read for its signature check at the speed of the C ``json`` module, whatever it holds.

PHP's ``signRequest`` signs ``json_encode($data)`` of the data as sent: key order, numbers exactly as
written, ``\\/``, ``\\uXXXX``. Building that string value by value in Python costs ~40 times one
``json.loads`` of the body for a body of numbers, which an anonymous client could send. Here every step
is one pass of C code over the text:

- the body is parsed once with the C scanner, every number read as ``True`` (``parse_int=bool``, which
  prints fastest): the parse validates the JSON and yields the strings and the claimed ``username`` and
  ``signature``;
- the parsed value is printed once by the C encoder (``ensure_ascii``, compact), which prints each
  string exactly as PHP does, apart from ``/`` and DEL, fixed with ``str.replace`` (``/`` occurs only
  inside strings, DEL only as its escape);
- everything outside strings (numbers as written, ``true``, brackets) is taken from the body itself,
  whitespace removed: the body and the printed text are cut at their string quotes, and the pieces
  outside strings are exchanged;
- ``signature`` is dropped and ``username`` moved last by marking their values with lone surrogates
  (which no accepted body holds: :meth:`JsonBody.values` refuses unpaired surrogate escapes, as PHP
  does) and cutting out the marked members.

The other readings PHP may have signed (numbers as ``json_decode`` reads them, objects as arrays) are
built by :mod:`easel.api.phpjson`, value by value, only for small bodies.
"""

from __future__ import annotations

import json
from itertools import accumulate
from typing import Any

from .phpjson import RequestDataError, body_text

_BACKSLASH = "\x00"  # placeholders for \\ and \": raw control characters never occur in ensure_ascii output
_QUOTE = "\x01"
_USERNAME_MARK = "\udc00"  # lone low surrogates: no accepted body holds one
_SIGNATURE_MARK = "\udc01"
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False)
_RAW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _reject_constant(name: str) -> Any:
    raise RequestDataError(f"{name} is not valid JSON")


_OUTLINE = json.JSONDecoder(parse_int=bool, parse_float=bool, parse_constant=_reject_constant)
_VALUES = json.JSONDecoder(parse_constant=_reject_constant)


def _utf8(value: object) -> bool:
    """Whether every string in ``value`` is valid Unicode: json.loads joins escaped surrogate pairs into one
    character, so what remains of a surrogate was unpaired, and UTF-8 (as PHP) cannot hold it."""
    try:
        _RAW_ENCODER.encode(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(text: str) -> str:
    first = text.lstrip(" \t\r\n")[:1]
    kinds = {"[": "an array", '"': "a string", "t": "true", "f": "false", "n": "null"}
    return kinds.get(first, "a number")


class JsonBody:
    """A JSON object body, checked (UTF-8, syntax, depth, no NaN) without reading its numbers."""

    __slots__ = ("_outline", "_outside", "_unpaired", "_verbatim", "text")
    _outside: list[str]

    def __init__(self, body: bytes, max_depth: int) -> None:
        text = body_text(body)
        try:
            outline = _OUTLINE.decode(text)
        except json.JSONDecodeError as err:
            raise RequestDataError(f"malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}") from err
        except RecursionError:
            raise RequestDataError(f"JSON nested deeper than {max_depth} levels") from None
        if not isinstance(outline, dict):
            raise RequestDataError(f"the JSON body must be an object, not {_kind(text)}")
        # Between the strings, as bytes (a byte a character: the fastest passes): ASCII once valid JSON.
        unpaired = body.replace(b"\\\\", b"")
        outside = b'"'.join(unpaired.replace(b'\\"', b"").split(b'"')[0::2]).decode("ascii")
        if outside.count("[") + outside.count("{") > max_depth:
            steps = outside.encode().translate(_BRACKET_STEPS, _NOT_BRACKETS)
            if max(accumulate(memoryview(steps).cast("b"))) > max_depth:
                raise RequestDataError(f"JSON nested deeper than {max_depth} levels")
        # With no number and no whitespace between the strings, the C encoder prints all of it as sent.
        self._verbatim = not any(c in outside for c in " \t\r\n-0123456789")
        if any(space in outside for space in " \t\r\n"):
            outside = "".join(outside.split())
        self._unpaired = unpaired
        self.text = text
        self._outline: dict[str, Any] = outline
        self._outside = outside.split('"')  # as PHP prints them: without whitespace

    def claim(self, field: str) -> str | None:
        """A top-level string field (``username``, ``signature``); None when absent or not a string."""
        value = self._outline.get(field)
        return value if isinstance(value, str) else None

    def keys(self) -> frozenset[str]:
        return frozenset(self._outline)

    def values(self) -> dict[str, Any]:
        """The body as Python values (the C parser's ints and floats), for validation once authenticated."""
        try:
            value: dict[str, Any] = _VALUES.decode(self.text)
        except ValueError as err:  # an integer of more than 4300 digits
            raise RequestDataError(f"a number in the body cannot be read: {err}") from None
        if ("\\ud" in self.text or "\\uD" in self.text) and not _utf8(value):
            raise RequestDataError("a string holds an unpaired UTF-16 surrogate escape")
        return value

    def signing_json(self) -> str:
        """``json_encode`` of signRequest's ``$data`` as PHP prints the body as sent: ``signature``
        dropped, ``username`` set last. The body must claim both as strings (ValueError otherwise).
        Raises RequestDataError for a duplicate key. A body with an unpaired surrogate escape (which PHP
        cannot hold, so no PHP client signed it) matches no PHP signature here and is refused by
        :meth:`values`."""
        username = self.claim("username")
        if username is None or not isinstance(self._outline.get("signature", ""), str):
            raise ValueError("signing_json needs a body that claims its username and signature as strings")
        marked = dict(self._outline)
        marked["username"] = _USERNAME_MARK
        if "signature" in marked:
            marked["signature"] = _SIGNATURE_MARK
        printed = _ENCODER.encode(marked)
        if self._verbatim:  # only a key given twice can make the printed text differ
            quotes = self._unpaired.count(b'\\"') + self._unpaired.count(b"\\u0022")  # in the strings
            quotes -= sum(str(self._outline.get(k, "")).count('"') for k in ("username", "signature"))
            if printed.count('"') != 2 * (len(self._outside) - 1) + quotes:
                raise RequestDataError("a JSON object has a duplicate key")
        else:
            held = printed.replace("\\\\", _BACKSLASH).replace('\\"', _QUOTE)
            pieces = held.split('"')
            if pieces[0::2] != self._outside:  # numbers as written, or a key given twice
                if len(pieces[0::2]) != len(self._outside):
                    raise RequestDataError("a JSON object has a duplicate key")
                pieces[0::2] = self._outside
                printed = '"'.join(pieces).replace(_QUOTE, '\\"').replace(_BACKSLASH, "\\\\")
        for member in ('"signature":"\\udc01"', '"username":"\\udc00"'):  # cut out, with one comma
            at = printed.find(member)
            if at >= 0:
                end = at + len(member)
                if printed[end] == ",":
                    end += 1
                elif printed[at - 1] == ",":
                    at -= 1
                printed = printed[:at] + printed[end:]
        printed = printed[:-1]
        if "\\u007f" in printed:  # Python escapes DEL; PHP prints it as it is
            printed = printed.replace("\\\\", _BACKSLASH).replace("\\u007f", "\x7f").replace(_BACKSLASH, "\\\\")
        claimed = _ENCODER.encode(username)
        return (printed + ("," if len(printed) > 1 else "") + '"username":' + claimed + "}").replace("/", "\\/")
