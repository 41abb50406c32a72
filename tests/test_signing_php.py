"""easel's signing against real PHP: the API document's signRequest run by the php binary, many payloads at once.

Each test starts PHP once with a batch of generated cases (unicode and emoji, slashes, quotes,
control characters, nested and empty arrays and objects, big integers, floats, booleans, null) and
checks that easel's verifier, easel.client.sign_request and easel's form parser agree with PHP byte
for byte. PHP is required: without it these tests fail and say how to install it.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from easel.api.json_as_sent import JsonBody
from easel.api.phpjson import (
    RequestDataError,
    as_php_arrays,
    form_readings,
    json_readings,
    parse_form,
    php_float_repr,
    php_json_encode,
)
from easel.api.request_data import ReadingLimits, RequestData
from easel.api.signing import read_signed_request, verify
from easel.client import sign_request

DOC_SECRET = "$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki"
SECRETS = [DOC_SECRET, "s3cr3t", 'sécret🔑/"\\']
USERNAMES = ["testing", "merchant@example.com", "ünïcødé/😀", 'a"b\\c']
URIS = ["orders", "orders/1000001", "orders/10001", "ping"]
CASES = 400

# signRequest is copied from the API document's Authentication section; only the two placeholder
# literals are replaced by the signer's properties. signingString repeats its steps but returns the
# string instead of hashing it.
PHP_HARNESS = r"""<?php
final class Image2ArtSigner
{
    private $username;
    private $secret;

    public function __construct($username, $secret)
    {
        $this->username = $username;
        $this->secret = $secret;
    }

    /**
     * Sign a string using the user's secret key
     *
     * @param  string $uri  API request path
     * @param  array  $data data being send with the request to be signed
     * @return string       HMAC-SHA256 hash
     */
    public function signRequest($uri, $data = array()) {
        // ignore username and signature if provided
        if (isset($data['username'])) {
            unset($data['username']);
        }
        if (isset($data['signature'])) {
            unset($data['signature']);
        }

        $data['username'] = $this->username;

        $req = $uri.json_encode($data);

        return hash_hmac('sha256', $req, $this->secret);
    }

    public function signingString($uri, $data = array()) {
        if (isset($data['username'])) {
            unset($data['username']);
        }
        if (isset($data['signature'])) {
            unset($data['signature']);
        }
        $data['username'] = $this->username;
        return $uri.json_encode($data);
    }
}

function signed($case, $data) {
    $signer = new Image2ArtSigner($case['username'], $case['secret']);
    return [$signer->signingString($case['uri'], $data), $signer->signRequest($case['uri'], $data)];
}

function decoded($text, $assoc) {
    try {
        $value = json_decode($text, $assoc, 512, JSON_THROW_ON_ERROR);
    } catch (JsonException $e) {
        return null;
    }
    return $assoc ? $value : (array) $value;
}

$input = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$out = [];
foreach ($input['cases'] as $case) {
    switch ($input['mode']) {
        case 'body':  // what a PHP server signs after decoding the body, to arrays and to objects
            $arrays = decoded($case['body'], true);
            $objects = decoded($case['body'], false);
            $out[] = [
                'arrays' => $arrays === null ? null : signed($case, $arrays),
                'objects' => $objects === null ? null : signed($case, $objects),
            ];
            break;
        case 'value':  // the same value a Python caller holds: objects stay objects
            $objects = decoded($case['value'], false);
            $out[] = $objects === null ? null : signed($case, $objects);
            break;
        case 'arrays':  // the value as a PHP client building arrays holds it
            $out[] = signed($case, decoded($case['value'], true));
            break;
        case 'query':  // a PHP client signing arrays and sending them with http_build_query
            $data = decoded($case['value'], true);
            [$string, $signature] = signed($case, $data);
            $data['username'] = $case['username'];
            $data['signature'] = $signature;
            $out[] = [http_build_query($data), $string, $signature];
            break;
        case 'parse_str':
            parse_str($case, $parsed);
            $json = json_encode($parsed);
            $out[] = $json === false ? null : $json;
            break;
        case 'floats':
            $out[] = json_encode(json_decode($case));
            break;
    }
}
echo json_encode($out, JSON_THROW_ON_ERROR);
"""


def php_command(directory: Path) -> list[str]:
    """The command that runs the harness, failing (never skipping) when PHP is missing."""
    binary = shutil.which("php")
    if binary is None:
        pytest.fail("PHP is not installed; run `make system-deps` (Debian package php-cli) to check signatures")
    script = directory / "harness.php"
    script.write_text(PHP_HARNESS)
    return [binary, "-d", "serialize_precision=-1", "-d", "precision=14", "-d", "display_errors=stderr", str(script)]


@pytest.fixture(scope="session")
def php(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return php_command(tmp_path_factory.mktemp("php"))


def run_php(command: list[str], mode: str, cases: list[Any]) -> list[Any]:
    completed = subprocess.run(
        command, input=json.dumps({"mode": mode, "cases": cases}), capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    results: list[Any] = json.loads(completed.stdout)
    assert len(results) == len(cases)
    return results


# --- generated payloads --------------------------------------------------------------------------

SPECIAL_STRINGS = [
    "",
    "a",
    "a/b",
    "http://www.gallerydirect.com/uploads/test.jpg",
    'say "hi"',
    "back\\slash",
    "é",
    "日本語",
    "😀",
    "👩‍👩‍👧",
    "\u2028\u2029",
    "\x00",
    "\x01\x1f",
    "\x7f",
    "\b\f\n\r\t",
    "\ud7ff\ue000\ufeff",
    "\U0010ffff",
    "</script>",
    "15 of 950",
    "Doe & Associates",
    "0",
    "20",
    "1.5",
    "-0",
    "true",
    "null",
    "\\u00e9",
    "\\/",
]
CHAR_POOLS = [
    [chr(c) for c in range(0x20, 0x7F)],
    [chr(c) for c in range(0x00, 0x20)] + ["\x7f", "/", "\\", '"'],
    ["é", "ß", "ñ", "Ω", "中", "ア", "\u00a0", "\u2028", "\ufffd", "\u0301"],
    ["😀", "🔑", "𝄞", "🇺🇸", "\U0001f469\u200d\U0001f467"],
]


def random_string(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return rng.choice(SPECIAL_STRINGS)
    return "".join(rng.choice(rng.choice(CHAR_POOLS)) for _ in range(rng.randint(0, 12)))


def random_int(rng: random.Random) -> int:
    return rng.choice(
        [
            rng.randint(-5, 5),
            rng.randint(-(10**6), 10**6),
            rng.randint(-(2**63), 2**63 - 1),
            rng.choice([2**63 - 1, -(2**63), 2**53 + 1, 10**18, 0]),
        ]
    )


def random_float(rng: random.Random) -> float:
    choice = rng.randrange(6)
    if choice == 0:
        return rng.choice([0.0, -0.0, 1.0, 0.1, 0.5, 1e15, 1e16, 1e17, 1e25, 1e-4, 1e-5, 1e-7, 2.0**63, 5e-324])
    if choice == 1:
        return round(rng.uniform(-1000, 1000), rng.randint(0, 4))
    if choice == 2:
        return rng.uniform(-1, 1) * 10.0 ** rng.randint(-30, 30)
    value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
    return value if value == value and abs(value) != float("inf") else 1.5


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 3 else 7)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind in (1, 2):
        return random_int(rng)
    if kind == 3:
        return random_float(rng)
    if kind in (4, 5, 6):
        return random_string(rng)
    if kind == 7:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return random_object(rng, depth + 1)


def random_object(rng: random.Random, depth: int) -> dict[str, Any]:
    size = rng.randint(0, 4)
    if rng.random() < 0.15:
        keys = [str(i) for i in range(size)]  # a list to a PHP client decoding to arrays
    else:
        keys = [random_string(rng) for _ in range(size)]
    return {key: random_value(rng, depth) for key in keys}


def random_payload(rng: random.Random, username: str) -> dict[str, Any]:
    data = random_object(rng, 1)
    data.pop("username", None)
    data.pop("signature", None)
    items = list(data.items())
    items.insert(rng.randint(0, len(items)), ("username", username))
    if rng.random() < 0.5:
        items.insert(rng.randint(0, len(items)), ("signature", "0" * 64))
    return dict(items)


def number_text(rng: random.Random, value: int | float) -> str:
    """A spelling of ``value`` another JSON writer might use."""
    if isinstance(value, int):
        if value == 0 and rng.random() < 0.3:
            return "-0"
        if rng.random() < 0.1:
            return str(value * 10 ** rng.randint(1, 3))  # beyond 64 bits, PHP reads a float
        return str(value)
    text = rng.choice([repr(value), f"{value:.17g}", f"{value:.17e}", php_float_repr(value)])
    if rng.random() < 0.3:
        text = text.upper()
    if "." in text and "e" not in text.lower() and rng.random() < 0.3:
        text += "0"
    return text


def render_json(rng: random.Random, value: Any) -> str:
    """``value`` as JSON text with random spacing, escaping and number spelling."""
    space = rng.choice(["", " ", "\n  ", "\t"])
    if isinstance(value, dict):
        pairs = [render_json(rng, key) + ":" + space + render_json(rng, item) for key, item in value.items()]
        return "{" + ("," + space).join(pairs) + "}"
    if isinstance(value, list):
        return "[" + ("," + space).join(render_json(rng, item) for item in value) + "]"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
        if rng.random() < 0.5:
            text = text.replace("/", "\\/")
        if rng.random() < 0.3:
            text = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), text)
        return text
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return number_text(rng, value)


def _cases(seed: int) -> tuple[random.Random, list[dict[str, str]]]:
    rng = random.Random(seed)
    return rng, [
        {"uri": rng.choice(URIS), "username": rng.choice(USERNAMES), "secret": rng.choice(SECRETS)}
        for _ in range(CASES)
    ]


# --- the tests -----------------------------------------------------------------------------------


def test_the_documented_vector_in_php(php: list[str]) -> None:
    case = {"uri": "orders", "username": "testing", "secret": DOC_SECRET, "value": '{"start":0,"rows":20}'}
    string, signature = run_php(php, "value", [case])[0]
    assert string == 'orders{"start":0,"rows":20,"username":"testing"}'
    assert signature == "16a060c526f2c460815567d73e05a4cdaf48e9ee2e3b9858e9b6933011ad798b"


def test_the_verifier_accepts_what_a_php_server_signs_for_any_body(php: list[str]) -> None:
    rng, cases = _cases(1)
    for case in cases:
        case["body"] = render_json(rng, random_payload(rng, case["username"]))
    results = run_php(php, "body", cases)
    decoded_as_objects = 0
    for case, result in zip(cases, results, strict=True):
        request = read_signed_request(case["uri"], json_readings(case["body"].encode()))
        assert request.username == case["username"]
        strings = [message.decode() for message in request.messages]
        # the server's own path prints the body as sent in C passes: the same strings
        served = RequestData(len(case["body"]), body=JsonBody(case["body"].encode(), 64))
        assert served.signing_messages(case["uri"], ReadingLimits()) == request.messages, case["body"]
        for reading in ("arrays", "objects"):
            if result[reading] is None:
                continue  # PHP refused the body (a property name starting with NUL, when decoding to objects)
            decoded_as_objects += reading == "objects"
            php_string, php_signature = result[reading]
            assert php_string in strings, (case["body"], reading)
            assert verify(case["secret"], case["uri"], json_readings(case["body"]), php_signature)
    assert decoded_as_objects > CASES * 0.9


def test_sign_request_matches_php_for_the_same_value(php: list[str]) -> None:
    rng, cases = _cases(2)
    values = [random_object(rng, 1) for _ in cases]
    for case, value in zip(cases, values, strict=True):
        case["value"] = json.dumps(value)
    as_objects = run_php(php, "value", cases)
    as_arrays = run_php(php, "arrays", cases)
    compared = 0
    for case, value, objects, arrays in zip(cases, values, as_objects, as_arrays, strict=True):
        signed = sign_request(case["uri"], value, case["username"], case["secret"])
        body = php_json_encode(signed)
        if objects is not None:  # PHP objects cannot have a property name starting with NUL
            compared += 1
            assert case["uri"] + body.replace(',"signature":"' + signed["signature"] + '"', "") == objects[0]
            assert signed["signature"] == objects[1]
        as_arrays_signed = sign_request(case["uri"], as_php_arrays(value), case["username"], case["secret"])
        assert as_arrays_signed["signature"] == arrays[1]
        # a PHP server decoding the body Python sent to arrays signs a string the verifier also tries
        assert arrays[0].encode() in read_signed_request(case["uri"], json_readings(body)).messages
    assert compared > CASES * 0.9


def _query_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(6 if depth < 3 else 4)
    if kind == 0:
        return random_int(rng)
    if kind == 1:  # http_build_query prints floats with `precision` (14 digits): longer ones cannot survive it
        return float(f"{random_float(rng):.14g}")
    if kind in (2, 3):
        text = random_string(rng).replace("\x00", "")
        return text if not re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?", text) else "x" + text
    if kind == 4:
        return [_query_value(rng, depth + 1) for _ in range(rng.randint(1, 3))]
    return {_query_key(rng): _query_value(rng, depth + 1) for _ in range(rng.randint(1, 3))}


def _query_key(rng: random.Random) -> str:
    return "".join(rng.choice("abcxyz_-0123456789é😀") for _ in range(rng.randint(1, 5)))


def test_the_verifier_accepts_php_clients_sending_http_build_query(php: list[str]) -> None:
    rng, cases = _cases(3)
    for case in cases:
        value = {_query_key(rng): _query_value(rng) for _ in range(rng.randint(0, 4))}
        value.pop("username", None)
        value.pop("signature", None)
        case["value"] = json.dumps(value)
    for case, (query, php_string, php_signature) in zip(cases, run_php(php, "query", cases), strict=True):
        request = read_signed_request(case["uri"], form_readings(query.encode()))
        assert request.username == case["username"]
        assert php_string.encode() in request.messages, query
        assert request.verify(case["secret"])
        assert request.signature == php_signature


QUERY_TOKENS = [
    "a",
    "b",
    "x",
    "0",
    "1",
    "7",
    "-3",
    "007",
    "_",
    " ",
    "+",
    ".",
    "[",
    "]",
    "[]",
    "[0]",
    "[1]",
    "[a]",
    "[ ]",
    "%5B",
    "%5D",
    "%20",
    "%2E",
    "%00",
    "%C3%A9",
    "%F0%9F%98%80",
    "%2",
    "%",
    "=",
    "&",
    "&&",
]


def test_the_form_parser_builds_what_php_parse_str_builds(php: list[str]) -> None:
    rng = random.Random(4)
    queries = [
        "&".join(
            "".join(rng.choice(QUERY_TOKENS[:-3]) for _ in range(rng.randint(1, 6)))
            + rng.choice(["", "=", "=" + rng.choice(["v", "", "1", "%C3%A9", "a+b", "%2F", "20", "-3.5", "x=y"])])
            for _ in range(rng.randint(1, 6))
        )
        for _ in range(CASES)
    ]
    queries += ["items[][sku]=a&items[][quantity]=1", "items[0][sku]=a&items[0][quantity]=1&items[1][sku]=b"]
    refused = 0
    for query, php_json in zip(queries, run_php(php, "parse_str", queries), strict=True):
        if php_json is None:  # PHP built a string that is not UTF-8 (e.g. "%b1"), which easel refuses
            refused += 1
            with pytest.raises(RequestDataError, match="not valid UTF-8"):
                parse_form(query.encode())
        else:
            assert php_json_encode(parse_form(query.encode())) == php_json, query
    assert refused < len(queries) * 0.2


def test_floats_print_as_php_json_encode_prints_them(php: list[str]) -> None:
    rng = random.Random(5)
    floats = [random_float(rng) for _ in range(4 * CASES)]
    floats += [10.0**e for e in range(-30, 31)] + [1.5 * 10.0**e for e in range(-30, 31)] + [2.0**e for e in range(64)]
    floats += [-f for f in floats]
    for value, php_text in zip(floats, run_php(php, "floats", [repr(f) for f in floats]), strict=True):
        assert php_float_repr(value) == php_text, value


def test_php_values_with_special_characters_round_trip(php: list[str]) -> None:
    cases = [
        {"uri": "orders", "username": "testing", "secret": DOC_SECRET, "value": json.dumps({"s": text})}
        for text in SPECIAL_STRINGS + ["".join(pool) for pool in CHAR_POOLS]
    ]
    for case, (php_string, php_signature) in zip(cases, run_php(php, "value", cases), strict=True):
        value = json.loads(case["value"])
        assert case["uri"] + php_json_encode({**value, "username": "testing"}) == php_string
        assert sign_request("orders", value, "testing", DOC_SECRET)["signature"] == php_signature


def test_php_missing_fails_with_instructions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="make system-deps"):
        php_command(tmp_path)
