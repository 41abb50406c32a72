"""Request data as PHP sees and prints it, so Image2ART signatures can be checked byte for byte.

Image2ART signs ``$uri . json_encode($data)`` as PHP computes it. To rebuild that string from a
request we must read the body without losing what PHP would print (key order, the exact text of
numbers), print values the way PHP 7/8's ``json_encode`` does with default flags, and read form and
query data the way PHP builds ``$_POST``/``$_GET``.

A request can stand for more than one PHP value: ``{}`` is an empty object or (to a PHP client that
decodes JSON to arrays) an empty array; ``1.50`` is the text the client wrote or the float PHP reads;
``rows=20`` in a query string is the string ``"20"`` or the number the client signed. The
``*_readings`` functions return every such reading (the first is always the data as sent), and the
verifier accepts a signature that matches any of them.

Choices where PHP is lenient and a verifier should not be: duplicate keys in a JSON object, invalid
UTF-8, unpaired surrogate escapes, NaN/Infinity, nesting deeper than ``MAX_DEPTH`` and more than
``MAX_FORM_VARS`` form fields are all rejected with :class:`RequestDataError` (PHP keeps the last
duplicate, or silently drops or truncates data, which would let two parties disagree on what was
signed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring_ascii
from typing import TypeAlias, cast
from urllib.parse import unquote_to_bytes

from ..json_depth import too_deep_at

__all__ = [
    "MAX_DEPTH",
    "MAX_FORM_VARS",
    "JsonObject",
    "JsonValue",
    "Key",
    "PhpArray",
    "RawNumber",
    "RequestDataError",
    "as_php_arrays",
    "as_php_numbers",
    "body_text",
    "form_readings",
    "json_readings",
    "parse_form",
    "parse_json_object",
    "php_float_repr",
    "php_json_encode",
]

MAX_DEPTH = 64
"""Deepest nesting of arrays/objects accepted in a body or a form field name (PHP's form limit)."""
MAX_FORM_VARS = 1000
"""Most ``name=value`` pairs accepted in a form body or query string (PHP's ``max_input_vars``)."""
MAX_ENCODE_DEPTH = 128
"""Deepest nesting ``php_json_encode`` prints (PHP allows 512; 128 keeps well inside Python's stack)."""

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

Key: TypeAlias = "str | int"
JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | PhpArray | None"
JsonObject: TypeAlias = "dict[str, JsonValue] | PhpArray"


class RequestDataError(ValueError):
    """Request data that cannot be read the way PHP would have signed it; ``message`` is for the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RawNumber(str):
    """A JSON number kept exactly as the client wrote it (``1.50``, ``1E2``, ``-0``), so it is signed as sent.

    The parser only builds these from text its JSON grammar accepted; the encoder prints the text
    unchanged, so do not build one from untrusted text yourself.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"RawNumber({str.__repr__(self)})"

    def php_value(self) -> int | float:
        """The value PHP's ``json_decode`` gives: an int when the text is an integer within 64 bits, else a float."""
        if "." in self or "e" in self or "E" in self or len(self) > 20:
            return float(self)
        number = int(self)
        return number if _INT64_MIN <= number <= _INT64_MAX else float(self)


class PhpArray(dict[Key, "JsonValue"]):
    """A PHP array: ``json_encode`` prints it as a list when its keys are 0..n-1 in order, else as an object.

    Plain ``dict`` stands for a JSON object (always printed as ``{...}``, ``{}`` when empty); this
    type stands for what PHP builds from form data or from ``json_decode($body, true)``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"PhpArray({dict.__repr__(self)})"


# --- reading a JSON body -------------------------------------------------------------------------

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _JsonHooks:
    """json.loads hooks for one parse: keep numbers raw, refuse duplicates, note what has other readings."""

    __slots__ = ("array_like", "odd_numbers")

    def __init__(self) -> None:
        self.array_like = False  # an object PHP-as-arrays would print differently ({} or keys "0".."n-1")
        self.odd_numbers = False  # a number PHP's json_decode would print differently

    def object(self, pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise RequestDataError(f"duplicate key {_short(key)} in a JSON object")
                seen.add(key)
        if not pairs or pairs[0][0] == "0":
            self.array_like = True
        return obj

    def integer(self, text: str) -> RawNumber:
        number = RawNumber(text)
        if (len(text) > 18 or text == "-0") and str(number.php_value()) != text:
            self.odd_numbers = True
        return number

    def real(self, text: str) -> RawNumber:
        number = RawNumber(text)
        if not self.odd_numbers:
            value = float(text)
            if value in (float("inf"), float("-inf")) or php_float_repr(value) != text:
                self.odd_numbers = True
        return number


def _reject_constant(name: str) -> JsonValue:
    raise RequestDataError(f"{name} is not valid JSON")


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _where(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return f"line {line}, column {column}"


def _check_depth(text: str, max_depth: int) -> None:
    """Refuse deep nesting before json.loads can hit the recursion limit on it."""
    at = too_deep_at(text, max_depth)
    if at is not None:
        raise RequestDataError(f"JSON nested deeper than {max_depth} levels at {_where(text, at)}")


def _check_surrogates(value: JsonValue) -> None:
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise RequestDataError("a string holds an unpaired UTF-16 surrogate escape")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_surrogates(key)
            _check_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _check_surrogates(item)


def _kind(value: JsonValue) -> str:
    if isinstance(value, RawNumber):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return json.dumps(value)


def body_text(body: bytes | str) -> str:
    """The text of a JSON body: UTF-8 without a byte order mark, not blank (else RequestDataError)."""
    if isinstance(body, str):
        text = body
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as err:
            bad = body[err.start]
            raise RequestDataError(f"body is not valid UTF-8: byte {err.start} (0x{bad:02x})") from err
    if text.startswith("\ufeff"):
        raise RequestDataError("body starts with a byte order mark; send UTF-8 without one")
    if not text.strip(" \t\r\n"):
        raise RequestDataError("body is empty; expected a JSON object")
    return text


def _parse(body: bytes | str, max_depth: int) -> tuple[dict[str, JsonValue], _JsonHooks]:
    text = body_text(body)
    _check_depth(text, max_depth)
    hooks = _JsonHooks()
    try:
        value: JsonValue = json.loads(
            text,
            object_pairs_hook=hooks.object,
            parse_int=hooks.integer,
            parse_float=hooks.real,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as err:
        raise RequestDataError(f"malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}") from err
    if not isinstance(value, dict):
        raise RequestDataError(f"the JSON body must be an object, not {_kind(value)}")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        _check_surrogates(value)
    return cast("dict[str, JsonValue]", value), hooks


def parse_json_object(body: bytes | str, *, max_depth: int = MAX_DEPTH) -> dict[str, JsonValue]:
    """Parse a JSON body strictly, keeping key order and every number's text (as :class:`RawNumber`).

    Raises :class:`RequestDataError` for invalid UTF-8 (with the byte offset), malformed JSON (with
    line and column), a top level that is not an object, duplicate keys, NaN/Infinity, unpaired
    surrogate escapes and nesting deeper than ``max_depth``.
    """
    return _parse(body, max_depth)[0]


def json_readings(body: bytes | str, *, max_depth: int = MAX_DEPTH) -> tuple[JsonObject, ...]:
    """Every PHP value a JSON body may have been signed as: as sent first, then only readings that differ.

    The readings are the product of two choices: objects as sent or as PHP arrays (``{}`` becomes
    ``[]``, ``{"0":..,"1":..}`` a list), and numbers as written or as PHP's ``json_decode`` reads them
    (``1.50`` -> ``1.5``, ``-0`` -> ``0``, integers beyond 64 bits -> floats). The last reading is what a
    PHP server calling ``json_decode($body, true)`` would sign.
    """
    data, hooks = _parse(body, max_depth)
    readings: list[JsonObject] = [data]
    if hooks.array_like:
        readings.append(as_php_arrays(data))
    if hooks.odd_numbers:
        numbers = as_php_numbers(data)
        readings.append(numbers)
        if hooks.array_like:
            readings.append(as_php_arrays(numbers))
    return tuple(readings)


# --- other readings of parsed data ---------------------------------------------------------------

_CANONICAL_INT = re.compile(r"-?[1-9][0-9]*|0")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_NUMBER_START = frozenset("-0123456789")


def _array_key(key: str) -> Key:
    """The key PHP stores for ``key``: decimal integers within 64 bits become ints, as in PHP's symtables."""
    if key and key[0] in "-0123456789" and len(key) <= 20 and _CANONICAL_INT.fullmatch(key):
        number = int(key)
        if _INT64_MIN <= number <= _INT64_MAX:
            return number
    return key


def _to_arrays(value: JsonValue) -> JsonValue:
    if isinstance(value, dict):
        return as_php_arrays(value)
    if isinstance(value, list):
        return [_to_arrays(item) for item in value]
    return value


def as_php_arrays(data: JsonObject) -> PhpArray:
    """``data`` as ``json_decode($json, true)`` would hold it: every object becomes a PHP array."""
    return PhpArray((_array_key(key) if isinstance(key, str) else key, _to_arrays(item)) for key, item in data.items())


def _to_numbers(value: JsonValue) -> JsonValue:
    if isinstance(value, RawNumber):
        return value.php_value()
    if isinstance(value, PhpArray):
        return PhpArray((key, _to_numbers(item)) for key, item in value.items())
    if isinstance(value, dict):
        return {cast(str, key): _to_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_numbers(item) for item in value]
    return value


def as_php_numbers(data: JsonObject) -> JsonObject:
    """``data`` with every :class:`RawNumber` replaced by the int or float PHP's ``json_decode`` reads."""
    converted = _to_numbers(data)
    assert isinstance(converted, dict)
    return converted


def _numeric_leaves(value: JsonValue) -> JsonValue:
    if isinstance(value, PhpArray):
        return PhpArray((key, _numeric_leaves(item)) for key, item in value.items())
    if isinstance(value, str) and value[:1] in _NUMBER_START and _JSON_NUMBER.fullmatch(value):
        return -0.0 if value == "-0" else RawNumber(value).php_value()  # only a float prints as "-0"
    return value


# --- reading form and query data -----------------------------------------------------------------

_NAME_TAIL = str.maketrans(" .[", "___")
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept by "surrogateescape"


class _FormBuilder:
    """Builds ``$_POST``/``$_GET`` from ``name=value`` pairs exactly as PHP's php_register_variable_ex."""

    def __init__(self, max_depth: int) -> None:
        self.root = PhpArray()
        self.max_depth = max_depth
        self.numeric = False
        # PHP's nNextFreeElement per array, once it has an int key; the array is held so its id stays its own.
        self._next: dict[int, tuple[PhpArray, int]] = {}

    def _store(self, array: PhpArray, key: Key, value: JsonValue) -> None:
        array[key] = value
        if isinstance(key, int):
            following = key + 1 if key < _INT64_MAX else _INT64_MAX
            if id(array) not in self._next or following > self._next[id(array)][1]:
                self._next[id(array)] = (array, following)

    def _append(self, array: PhpArray, value: JsonValue) -> bool:
        key = self._next[id(array)][1] if id(array) in self._next else 0
        if key in array:
            return False  # PHP: "Cannot add element to the array as the next element is already occupied"
        self._store(array, key, value)
        return True

    def add(self, name: str, value: str, field: int) -> None:
        """Register one field; ``name`` may hold undecodable bytes (surrogate-escaped) in parts PHP ignores."""
        name = name.partition("\0")[0].lstrip(" ")
        bracket = name.find("[")
        base = (name if bracket < 0 else name[:bracket]).replace(" ", "_").replace(".", "_")
        if not base:
            return
        path: list[str | None] = []  # None is "[]": append
        position = bracket
        while position >= 0:
            if len(path) >= self.max_depth:
                raise RequestDataError(f"form field {_short(name)} is nested deeper than {self.max_depth} levels")
            start = position + 1
            probe = start + 1 if name.startswith(" ", start) else start
            if name.startswith("]", probe):
                path.append(None)
                close = probe
            else:
                close = name.find("]", probe)
                if close < 0:
                    if not path:  # "a[b" is the plain name "a_b"
                        base += "_" + name[start:].translate(_NAME_TAIL)
                    break  # "a[b][c" is "a[b]"
                path.append(name[start:close])
            position = close + 1 if name.startswith("[", close + 1) else -1
        if not name.isascii() and (_UNDECODED.search(base) or any(step and _UNDECODED.search(step) for step in path)):
            raise RequestDataError(f"form field {field}'s name is not valid UTF-8 once percent-decoded")
        if not self.numeric and value[:1] in _NUMBER_START and _JSON_NUMBER.fullmatch(value):
            self.numeric = True
        array = self.root
        key: Key | None = _array_key(base)
        for step in path:
            child = PhpArray()
            if key is None:
                if not self._append(array, child):
                    return
            else:
                existing = array.get(key)
                if isinstance(existing, PhpArray):
                    child = existing
                else:
                    self._store(array, key, child)
            array = child
            key = None if step is None else _array_key(step)
        if key is None:
            self._append(array, value)
        else:
            self._store(array, key, value)


def _form_bytes(raw: bytes) -> bytes:
    """PHP's urldecode: ``+`` is a space, ``%XX`` a byte, any other ``%`` stays."""
    return unquote_to_bytes(raw.replace(b"+", b" ")) if b"%" in raw or b"+" in raw else raw


def _form_name(raw: bytes) -> str:
    return _form_bytes(raw).decode("utf-8", "surrogateescape")


def _form_value(raw: bytes, field: int) -> str:
    decoded = _form_bytes(raw)
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError as err:
        where = f"byte {err.start}"
        raise RequestDataError(f"form field {field}'s value is not valid UTF-8 once percent-decoded: {where}") from err


def _parse_form(data: bytes | str, max_vars: int, max_depth: int) -> _FormBuilder:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    builder = _FormBuilder(max_depth)
    count = 0
    for pair in raw.split(b"&"):
        if not pair:
            continue
        count += 1
        if count > max_vars:
            raise RequestDataError(f"more than {max_vars} form fields")
        name, _, value = pair.partition(b"=")
        builder.add(_form_name(name), _form_value(value, count), count)
    return builder


def parse_form(data: bytes | str, *, max_vars: int = MAX_FORM_VARS, max_depth: int = MAX_DEPTH) -> PhpArray:
    """The ``$_GET``/``$_POST`` array PHP builds from a query string or urlencoded body; every leaf is a string.

    Follows PHP 8: ``a[b][c]=x`` nests, ``a[]`` appends, ``items[][sku]=1&items[][qty]=2`` makes two
    items, ``.`` and spaces in the base name become ``_``, numeric keys become ints. Pass raw bytes
    when you have them; a ``str`` is taken as its UTF-8 bytes.
    """
    return _parse_form(data, max_vars, max_depth).root


def form_readings(
    data: bytes | str, *, max_vars: int = MAX_FORM_VARS, max_depth: int = MAX_DEPTH
) -> tuple[PhpArray, ...]:
    """Every PHP value form data may have been signed as: all strings first, then numeric-looking leaves as numbers.

    A PHP client that signs ``['rows' => 20]`` and sends it with ``http_build_query`` sends the
    string ``"20"``, so the second reading turns every leaf that is a JSON number into the int or
    float PHP would hold. A form that mixes numeric strings and numbers matches neither reading.
    """
    builder = _parse_form(data, max_vars, max_depth)
    if not builder.numeric:
        return (builder.root,)
    numeric = PhpArray(
        (key, item if key in ("username", "signature") else _numeric_leaves(item)) for key, item in builder.root.items()
    )
    return (builder.root, numeric)


# --- printing as PHP's json_encode ---------------------------------------------------------------


def php_float_repr(value: float) -> str:
    """``json_encode($float)`` with ``serialize_precision=-1``: shortest round-trip digits, PHP's layout.

    ``0.1`` -> ``0.1``, ``1.0`` -> ``1``, ``-0.0`` -> ``-0``, ``1e25`` -> ``1.0e+25``, ``1e-7`` -> ``1.0e-7``.
    """
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("PHP's json_encode cannot print NaN or infinity")
    text = repr(value)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)  # value = 0.<digits> * 10**point
    significant = digits.lstrip("0")
    point -= len(digits) - len(significant)
    significant = significant.rstrip("0")
    if not significant:
        return sign + "0"
    if point < -3 or point > 17:
        power = point - 1
        return f"{sign}{significant[0]}.{significant[1:] or '0'}e{'-' if power < 0 else '+'}{abs(power)}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{significant}"
    if len(significant) <= point:
        return sign + significant + "0" * (point - len(significant))
    return f"{sign}{significant[:point]}.{significant[point:]}"


def _string(text: str) -> str:
    if not text.isascii() and _SURROGATE.search(text):
        raise ValueError("a string holds an unpaired surrogate, which PHP (UTF-8 bytes) cannot hold")
    if "\x7f" in text:  # Python escapes DEL, PHP prints it as is
        quoted = '"' + "\x7f".join(encode_basestring_ascii(part)[1:-1] for part in text.split("\x7f")) + '"'
    else:
        quoted = encode_basestring_ascii(text)
    return quoted.replace("/", "\\/")


def _integer(number: int) -> str:
    if _INT64_MIN <= number <= _INT64_MAX:
        return int.__repr__(number)
    raise ValueError(f"integer {number} does not fit PHP's 64-bit int; send it as a string")


def _key(key: object) -> str:
    if type(key) is str or isinstance(key, str):
        return _string(key)
    if isinstance(key, int) and not isinstance(key, bool):
        return f'"{int.__repr__(key)}"'
    raise TypeError(f"object keys must be str or int, not {type(key).__name__}")


def _object(items: Iterable[tuple[object, object]], depth: int) -> str:
    return "{" + ",".join([_key(key) + ":" + _encode(item, depth) for key, item in items]) + "}"


def _encode(value: object, depth: int) -> str:
    if isinstance(value, str):
        return value if isinstance(value, RawNumber) else _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, float):
        return php_float_repr(value)
    if depth >= MAX_ENCODE_DEPTH:
        raise ValueError(f"data nested deeper than {MAX_ENCODE_DEPTH} levels")
    depth += 1
    if isinstance(value, PhpArray):
        if all(isinstance(key, int) and key == index for index, key in enumerate(value)):
            return "[" + ",".join([_encode(item, depth) for item in value.values()]) + "]"
        return _object(value.items(), depth)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join([_encode(item, depth) for item in value]) + "]"
    if isinstance(value, (dict, Mapping)):
        return _object(value.items(), depth) if value else "{}"
    raise TypeError(f"PHP's json_encode has no equivalent for {type(value).__name__}")


def php_json_encode(value: object) -> str:
    """PHP 7/8 ``json_encode($value)`` with default flags, as ASCII text.

    Keys keep their order; ``/`` is ``\\/``; non-ASCII is ``\\uXXXX`` in lowercase hex (surrogate pairs
    above U+FFFF); control characters use ``\\b \\f \\n \\r \\t`` or ``\\u00XX``; a ``dict`` (any mapping) is
    an object, ``{}`` when empty; a list or tuple is a list; a :class:`PhpArray` is a list when its keys
    are 0..n-1 in order; a :class:`RawNumber` prints its text; floats print as :func:`php_float_repr`.
    Raises ``ValueError`` for what PHP cannot hold (NaN, infinity, integers beyond 64 bits, unpaired
    surrogates) and ``TypeError`` for other types.
    """
    return _encode(value, 0)
