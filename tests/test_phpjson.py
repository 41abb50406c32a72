"""easel.api.phpjson: strict reading of bodies and forms, and PHP's json_encode, rule by rule."""

from __future__ import annotations

import json
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easel.api.phpjson import (
    MAX_DEPTH,
    PhpArray,
    RawNumber,
    RequestDataError,
    as_php_arrays,
    form_readings,
    json_readings,
    parse_form,
    parse_json_object,
    php_float_repr,
    php_json_encode,
)

# --- php_json_encode: PHP 8.2 output for each rule, taken from `php -r 'echo json_encode(...);'` -------------


@pytest.mark.parametrize(
    ("value", "php"),
    [
        ("a/b", '"a\\/b"'),
        ("é", '"\\u00e9"'),
        ("\u2028", '"\\u2028"'),
        ("😀", '"\\ud83d\\ude00"'),
        ("\U0010ffff", '"\\udbff\\udfff"'),
        ("\b\f\n\r\t", '"\\b\\f\\n\\r\\t"'),
        ("\x00\x01\x1f", '"\\u0000\\u0001\\u001f"'),
        ("a\x7fb", '"a\x7fb"'),
        ("\x7f/é\x7f", '"\x7f\\/\\u00e9\x7f"'),
        ('"\\', '"\\"\\\\"'),
        ("\\u007f", '"\\\\u007f"'),
        ("", '""'),
    ],
)
def test_strings_are_escaped_as_php_does(value: str, php: str) -> None:
    assert php_json_encode(value) == php


@pytest.mark.parametrize(
    ("value", "php"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-42, "-42"),
        (2**63 - 1, "9223372036854775807"),
        (-(2**63), "-9223372036854775808"),
        (RawNumber("1.50"), "1.50"),
        (RawNumber("-0"), "-0"),
        (RawNumber("12345678901234567890"), "12345678901234567890"),
        ([], "[]"),
        ({}, "{}"),
        (PhpArray(), "[]"),
        ([1, "a", [None]], '[1,"a",[null]]'),
        ((1, 2), "[1,2]"),
        ({"b": 1, "a": 2}, '{"b":1,"a":2}'),
        ({"0": "x", "1": "y"}, '{"0":"x","1":"y"}'),
        ({1: "x"}, '{"1":"x"}'),
        (PhpArray({0: "x", 1: "y"}), '["x","y"]'),
        (PhpArray({1: "x", 0: "y"}), '{"1":"x","0":"y"}'),
        (PhpArray({0: "x", 2: "y"}), '{"0":"x","2":"y"}'),
        (PhpArray({0: "x", "a": "y"}), '{"0":"x","a":"y"}'),
        ({"k/é": {"": []}}, '{"k\\/\\u00e9":{"":[]}}'),
    ],
)
def test_values_print_as_php_does(value: object, php: str) -> None:
    assert php_json_encode(value) == php


@pytest.mark.parametrize(
    ("value", "php"),
    [
        (1.0, "1"),
        (0.1, "0.1"),
        (-0.0, "-0"),
        (0.0, "0"),
        (100.0, "100"),
        (1.5, "1.5"),
        (1e15, "1000000000000000"),
        (1e16, "10000000000000000"),
        (1e17, "1.0e+17"),
        (1e25, "1.0e+25"),
        (1.5e300, "1.5e+300"),
        (2.0**63, "9.223372036854776e+18"),
        (0.0001, "0.0001"),
        (1e-5, "1.0e-5"),
        (3.0e-5, "3.0e-5"),
        (1e-7, "1.0e-7"),
        (1.5e-7, "1.5e-7"),
        (5e-324, "5.0e-324"),
        (sys.float_info.max, "1.7976931348623157e+308"),
        (123.456, "123.456"),
        (-2.5e-10, "-2.5e-10"),
    ],
)
def test_floats_print_as_php_with_serialize_precision_minus_one(value: float, php: str) -> None:
    assert php_float_repr(value) == php
    assert php_json_encode(value) == php


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 2**63, -(2**63) - 1, "\ud800", {"\udc00": 1}])
def test_values_php_cannot_hold_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        php_json_encode(value)


@pytest.mark.parametrize("value", [object(), {1.5: "x"}, {(1,): "x"}, b"bytes", {1, 2}])
def test_values_without_a_php_equivalent_raise_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        php_json_encode(value)


def test_self_referencing_data_is_a_value_error_not_a_recursion_error() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="deeper"):
        php_json_encode(loop)


# --- parse_json_object ---------------------------------------------------------------------------


def test_parsing_keeps_key_order_and_number_text() -> None:
    data = parse_json_object(b'{"z": 1.50, "a": [1E2, -0, 12345678901234567890], "m": {"y": 0.1e1}}')
    assert list(data) == ["z", "a", "m"]
    assert data["z"] == RawNumber("1.50")
    assert isinstance(data["z"], RawNumber)
    assert php_json_encode(data) == '{"z":1.50,"a":[1E2,-0,12345678901234567890],"m":{"y":0.1e1}}'


def test_raw_numbers_know_their_php_value() -> None:
    assert RawNumber("20").php_value() == 20
    assert RawNumber("-0").php_value() == 0
    assert RawNumber("1.50").php_value() == 1.5
    assert RawNumber("9223372036854775807").php_value() == 2**63 - 1
    assert RawNumber("-9223372036854775808").php_value() == -(2**63)
    assert isinstance(RawNumber("9223372036854775808").php_value(), float)
    assert isinstance(RawNumber("1" * 5000).php_value(), float)


def test_parsing_accepts_str_and_whitespace() -> None:
    assert parse_json_object(' \n{"a" : "é😀"}\r\n\t') == {"a": "é😀"}


def test_paired_surrogate_escapes_are_one_character() -> None:
    assert parse_json_object('{"a":"\\ud83d\\ude00"}') == {"a": "😀"}


def _error(body: bytes | str) -> str:
    with pytest.raises(RequestDataError) as caught:
        parse_json_object(body)
    assert caught.value.message == str(caught.value)
    return caught.value.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a":"\xff"}', "not valid UTF-8: byte 6 (0xff)"),
        (b'{"a":"\xc3"}', "not valid UTF-8: byte 6 (0xc3)"),
        (b'{"a":"\xed\xa0\x80"}', "not valid UTF-8: byte 6 (0xed)"),
        (b'{"a":"\xc0\xaf"}', "not valid UTF-8: byte 6 (0xc0)"),
        ('\ufeff{"a":1}'.encode(), "byte order mark"),
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b'{"a":1', "line 1, column 7"),
        (b'{"a":\n  [1,\n  2', "line 3, column 4"),
        (b'{"a":1}x', "line 1, column 8: Extra data"),
        (b"{'a':1}", "line 1, column 2"),
        (b'{"a":1,}', "malformed JSON at line 1, column"),
        (b'{"a":01}', "line 1"),
        (b'{"a":1} // comment', "Extra data"),
        (b'{"a":"\x01"}', "Invalid control character"),
        ('{"a":\u0661}'.encode(), "Expecting value"),
        (b'{"a":NaN}', "NaN is not valid JSON"),
        (b'{"a":-Infinity}', "-Infinity is not valid JSON"),
        (b'{"a":Infinity}', "Infinity is not valid JSON"),
        (b"[1]", "must be an object, not an array"),
        (b'"a"', "must be an object, not a string"),
        (b"12", "must be an object, not a number"),
        (b"null", "must be an object, not null"),
        (b"true", "must be an object, not true"),
        (b'{"a":1,"b":2,"a":3}', "duplicate key 'a'"),
        (b'{"x":{"":1,"":2}}', "duplicate key ''"),
        (b'{"a":"\\ud800"}', "unpaired UTF-16 surrogate"),
        (b'{"a":["\\udc00x"]}', "unpaired UTF-16 surrogate"),
        (b'{"\\ude00\\ud83d":1}', "unpaired UTF-16 surrogate"),
    ],
)
def test_bad_bodies_get_one_clear_error(body: bytes, message: str) -> None:
    assert message in _error(body)


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_hundred_thousand_nested_brackets_are_a_clean_error(opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    body = '{"a":' + opener * 100_000 + "1" + closer * 100_000 + "}"
    assert "nested deeper than 64 levels at line 1, column" in _error(body)


def test_nesting_up_to_the_limit_is_accepted_and_one_more_is_not() -> None:
    def nested(levels: int) -> str:  # the top-level object is level 1
        return '{"a":' + "[" * (levels - 1) + "1" + "]" * (levels - 1) + "}"

    assert parse_json_object(nested(MAX_DEPTH))
    assert "nested deeper" in _error(nested(MAX_DEPTH + 1))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = '{"a":"' + "[{" * 500 + '\\"' + "[" * 100 + '"}'
    assert parse_json_object(text)["a"] == "[{" * 500 + '"' + "[" * 100


def test_an_unterminated_string_full_of_brackets_is_a_syntax_error() -> None:
    assert "Unterminated string" in _error('{"a":"' + "[" * 1000)


# --- readings ------------------------------------------------------------------------------------


def test_a_plain_body_has_one_reading() -> None:
    assert len(json_readings(b'{"start":0,"rows":20,"username":"testing","signature":"x","s":"a/b","f":0.5}')) == 1


def test_empty_objects_are_read_as_objects_and_as_php_arrays() -> None:
    readings = json_readings(b'{"a":{},"b":[{}],"username":"u"}')
    assert [php_json_encode(r) for r in readings] == [
        '{"a":{},"b":[{}],"username":"u"}',
        '{"a":[],"b":[[]],"username":"u"}',
    ]


def test_objects_with_keys_0_to_n_are_lists_to_php_arrays() -> None:
    readings = json_readings(b'{"a":{"0":"x","1":"y"},"b":{"1":"x","0":"y"}}')
    assert [php_json_encode(r) for r in readings] == [
        '{"a":{"0":"x","1":"y"},"b":{"1":"x","0":"y"}}',
        '{"a":["x","y"],"b":{"1":"x","0":"y"}}',
    ]
    assert list(as_php_arrays({"7": 1, "-3": 2, "07": 3, "-0": 4, "x": 5})) == [7, -3, "07", "-0", "x"]


def test_numbers_are_read_as_written_and_as_php_decodes_them() -> None:
    readings = json_readings(b'{"a":1.50,"b":-0,"c":12345678901234567890,"d":1E2,"e":{}}')
    assert [php_json_encode(r) for r in readings] == [
        '{"a":1.50,"b":-0,"c":12345678901234567890,"d":1E2,"e":{}}',
        '{"a":1.50,"b":-0,"c":12345678901234567890,"d":1E2,"e":[]}',
        '{"a":1.5,"b":0,"c":1.2345678901234567e+19,"d":100,"e":{}}',
        '{"a":1.5,"b":0,"c":1.2345678901234567e+19,"d":100,"e":[]}',
    ]


def test_a_number_that_overflows_php_still_parses() -> None:
    readings = json_readings(b'{"a":1e400}')
    assert len(readings) == 2
    with pytest.raises(ValueError):
        php_json_encode(readings[1])


# --- forms and query strings (expected values from PHP 8.2's parse_str) --------------------------


@pytest.mark.parametrize(
    ("query", "php"),
    [
        ("a.b=1&a b=2", '{"a_b":"2"}'),
        (" x=1", '{"x":"1"}'),
        ("a[b]c=1", '{"a":{"b":"1"}}'),
        ("a[ x]=1&a[ ]=2", '{"a":{" x":"1","0":"2"}}'),
        ("a[b=1", '{"a_b":"1"}'),
        ("a[b][c=1", '{"a":{"b":"1"}}'),
        ("a[=1", '{"a_":"1"}'),
        ("a]=1", '{"a]":"1"}'),
        ("a[0]=x&a[1]=y", '{"a":["x","y"]}'),
        ("a[1]=x&a[0]=y", '{"a":{"1":"x","0":"y"}}'),
        ("a[]=1&a[]=2&a[5]=3&a[]=4", '{"a":{"0":"1","1":"2","5":"3","6":"4"}}'),
        ("a[-5]=1&a[]=2", '{"a":{"-5":"1","-4":"2"}}'),
        ("a=1&a[]=2", '{"a":["2"]}'),
        ("a[]=1&a=2", '{"a":"2"}'),
        ("a[b]=1&a[b][c]=2", '{"a":{"b":{"c":"2"}}}'),
        ("=1&&b", '{"b":""}'),
        ("a", '{"a":""}'),
        ("a%5Bb%5D=1", '{"a":{"b":"1"}}'),
        ("a[007]=1&a[-0]=2&a[9223372036854775808]=3", '{"a":{"007":"1","-0":"2","9223372036854775808":"3"}}'),
        ("b[9223372036854775806]=1&b[]=2&b[]=3", '{"b":{"9223372036854775806":"1","9223372036854775807":"2"}}'),
        ("x+y=1+2%2", '{"x_y":"1 2%2"}'),
        ("a.b[c.d]=1", '{"a_b":{"c.d":"1"}}'),
        ("a[b.c=1", '{"a_b_c":"1"}'),
        ("a%00b=1&c=%00", '{"a":"1","c":"\\u0000"}'),
        ("e=%C3%A9%F0%9F%98%80", '{"e":"\\u00e9\\ud83d\\ude00"}'),
        ("0=a&1=b", '["a","b"]'),
    ],
)
def test_forms_are_read_as_php_parse_str_reads_them(query: str, php: str) -> None:
    assert php_json_encode(parse_form(query)) == php
    assert php_json_encode(parse_form(query.encode())) == php


def test_items_with_empty_brackets_make_one_item_per_field() -> None:
    form = parse_form("items[][sku]=a&items[][quantity]=1")
    assert php_json_encode(form) == '{"items":[{"sku":"a"},{"quantity":"1"}]}'
    form = parse_form("items[0][sku]=a&items[0][quantity]=1&items[1][sku]=b")
    assert php_json_encode(form) == '{"items":[{"sku":"a","quantity":"1"},{"sku":"b"}]}'


def test_numeric_looking_form_values_also_read_as_numbers() -> None:
    readings = form_readings("start=0&rows=20&price=1.50&big=1.0E%2B25&zip=0123&username=123&signature=1")
    assert [php_json_encode(r) for r in readings] == [
        '{"start":"0","rows":"20","price":"1.50","big":"1.0E+25","zip":"0123","username":"123","signature":"1"}',
        '{"start":0,"rows":20,"price":1.5,"big":1.0e+25,"zip":"0123","username":"123","signature":"1"}',
    ]


def test_a_form_without_numbers_has_one_reading() -> None:
    assert len(form_readings("a=x&b[]=y")) == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (b"a=%FF", "form field 1's value is not valid UTF-8 once percent-decoded: byte 0"),
        (b"ok=1&%C3=1", "form field 2's name is not valid UTF-8"),
        (b"a=\xe9", "form field 1's value is not valid UTF-8"),
        ("a" + "[x]" * 65 + "=1", "nested deeper than 64 levels"),
        ("&".join(f"v{i}=1" for i in range(1001)), "more than 1000 form fields"),
    ],
)
def test_bad_forms_get_one_clear_error(form: bytes | str, message: str) -> None:
    with pytest.raises(RequestDataError, match=message):
        parse_form(form)


def test_bytes_php_ignores_in_a_name_need_not_be_utf8() -> None:
    assert php_json_encode(parse_form(b"a[b]%FF=1&d[x][%FF=3")) == '{"a":{"b":"1"},"d":{"x":"3"}}'
    with pytest.raises(RequestDataError, match="form field 1's name"):
        parse_form(b"c[%FF=2")  # PHP keeps this name as "c_\xff"


def test_form_nesting_up_to_the_limit_is_accepted() -> None:
    assert parse_form("a" + "[x]" * 64 + "=1")
    assert len(parse_form("&".join(f"v{i}=1" for i in range(1000)))) == 1000


# --- properties ----------------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(["/", "\x7f", "😀", "\u2028", '"\\'])
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)
_objects = st.dictionaries(_text, _values, max_size=6)


def _same(decoded: object, original: object) -> bool:
    """Equal as JSON values, a float matching whatever number PHP printed for it (1e16 prints as digits)."""
    if isinstance(original, float):
        return isinstance(decoded, (int, float)) and float(decoded) == original
    if isinstance(original, dict):
        return (
            isinstance(decoded, dict)
            and list(decoded) == list(original)
            and all(_same(decoded[k], v) for k, v in original.items())
        )
    if isinstance(original, list):
        return (
            isinstance(decoded, list)
            and len(decoded) == len(original)
            and all(_same(d, o) for d, o in zip(decoded, original, strict=True))
        )
    return type(decoded) is type(original) and decoded == original


@settings(deadline=None)
@given(_values)
def test_encoding_is_ascii_json_with_the_same_value(value: object) -> None:
    text = php_json_encode(value)
    assert text.isascii()
    assert "/" not in text.replace("\\/", "")
    assert _same(json.loads(text), value)


@settings(deadline=None)
@given(_objects)
def test_parsing_then_encoding_reproduces_php_output_byte_for_byte(data: dict[str, object]) -> None:
    text = php_json_encode(data)
    assert php_json_encode(parse_json_object(text)) == text
    readings = json_readings(text.encode())
    assert php_json_encode(readings[0]) == text


@settings(deadline=None)
@given(_objects)
def test_any_spelling_of_a_body_parses_to_the_same_value(data: dict[str, object]) -> None:
    for spelling in (json.dumps(data), json.dumps(data, ensure_ascii=False, indent=2)):
        parsed = parse_json_object(spelling.encode())
        assert _same(json.loads(php_json_encode(parsed)), data)
        assert list(parsed) == list(data)


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_php_float_text_reads_back_as_the_same_float(value: float) -> None:
    text = php_float_repr(value)
    assert float(text) == value
    assert math.copysign(1, float(text)) == math.copysign(1, value)


_form_keys = st.text("abcxyz_-0123456789é", min_size=1, max_size=6).filter(lambda k: not k.isdigit() and k[0] != "-")
_form_values = st.recursive(
    st.text(st.characters(codec="utf-8"), max_size=8),
    lambda inner: st.dictionaries(_form_keys, inner, min_size=1, max_size=3),
    max_leaves=10,
)


def _flatten(prefix: str, value: object, out: list[str]) -> None:
    from urllib.parse import quote_plus

    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}[{key}]", item, out)
    else:
        out.append(f"{quote_plus(prefix)}={quote_plus(str(value))}")


@settings(deadline=None)
@given(st.dictionaries(_form_keys, _form_values, max_size=5))
def test_nested_form_fields_rebuild_the_nested_data(data: dict[str, object]) -> None:
    parts: list[str] = []
    for key, value in data.items():
        _flatten(key, value, parts)
    assert parse_form("&".join(parts)) == data


_spellings = st.sampled_from(["compact", "spaced", "indented", "numbers as written"])


def _spell(data: dict[str, object], how: str) -> str:
    if how == "spaced":
        return json.dumps(data, ensure_ascii=False)
    if how == "indented":
        return json.dumps(data, ensure_ascii=False, indent="\t")
    if how == "numbers as written":  # 1.50, 1E2, -0: kept as written in the reading as sent
        return json.dumps(data).replace(".5", ".50").replace("1.0", "1E0").replace(" 0", " -0")
    return json.dumps(data, separators=(",", ":"))


@settings(deadline=None)
@given(_objects, _spellings, st.integers(0, 6), st.booleans())
def test_the_fast_reading_as_sent_prints_what_php_json_encode_prints(
        data: dict[str, object], how: str, at: int, signed: bool) -> None:
    """JsonBody prints in C passes what php_json_encode prints value by value, wherever username and
    signature stand, however the body is spelled (the server's only reading of large bodies)."""
    from easel.api.json_as_sent import JsonBody
    from easel.api.signing import signing_string

    items = [(k, v) for k, v in data.items() if k not in ("username", "signature")]
    items.insert(min(at, len(items)), ("username", "a/b"))
    if signed:
        items.insert(len(items) // 2, ("signature", "f" * 64))
    text = _spell(dict(items), how)
    try:
        expected = signing_string("", json_readings(text.encode())[0], "a/b")
    except (RequestDataError, ValueError):
        with pytest.raises((RequestDataError, ValueError)):
            JsonBody(text.encode(), MAX_DEPTH).signing_json()
        return
    assert JsonBody(text.encode(), MAX_DEPTH).signing_json() == expected


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{"username":"u","a":1,"a":2}', "duplicate key"),
        ('{"username":"u","a":{"b":1,"b":1}}', "duplicate key"),
        ('{"username":"u","a":"\\ud800"}', "surrogate"),
        ('{"username":"u","a":"\\udc00\\ud800"}', "surrogate"),
    ],
)
def test_the_fast_reading_refuses_what_php_cannot_hold(body: str, fragment: str) -> None:
    from easel.api.json_as_sent import JsonBody

    read = JsonBody(body.encode(), MAX_DEPTH)
    with pytest.raises(RequestDataError, match=fragment):
        read.values() if fragment == "surrogate" else read.signing_json()


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1, 5000])
def test_the_fast_reading_counts_nesting_outside_strings_only(depth: int) -> None:
    from easel.api.json_as_sent import JsonBody

    body = '{"s":"' + "[" * 500 + '","a":' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    if depth <= MAX_DEPTH:
        assert JsonBody(body.encode(), MAX_DEPTH).claim("s") == "[" * 500
    else:
        with pytest.raises(RequestDataError, match=f"deeper than {MAX_DEPTH}"):
            JsonBody(body.encode(), MAX_DEPTH)
