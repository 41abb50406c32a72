"""easel.api.signing and easel.client: the documented vector, every reading, and the client end to end."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easel.api.phpjson import (
    JsonObject,
    PhpArray,
    RawNumber,
    form_readings,
    json_readings,
    parse_form,
    php_json_encode,
)
from easel.api.signing import (
    SignedRequest,
    compute_signature,
    read_signed_request,
    signing_data,
    signing_string,
    signing_uri,
    verify,
)
from easel.client import AsyncImage2ArtClient, Image2ArtClient, Image2ArtError, sign_request

SECRET = "$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki"
VECTOR = "16a060c526f2c460815567d73e05a4cdaf48e9ee2e3b9858e9b6933011ad798b"


# --- the signing string and signature ------------------------------------------------------------


def test_documented_vector() -> None:
    data = {"start": 0, "rows": 20}
    assert signing_string("orders", data, "testing") == 'orders{"start":0,"rows":20,"username":"testing"}'
    assert compute_signature(SECRET, "orders", data, "testing") == VECTOR
    assert compute_signature(SECRET.encode(), "orders", data, "testing") == VECTOR


def test_username_moves_last_and_signature_is_dropped() -> None:
    data = {"username": "testing", "signature": "junk", "start": 0, "rows": 20}
    assert signing_string("orders", data, "testing") == 'orders{"start":0,"rows":20,"username":"testing"}'
    assert compute_signature(SECRET, "orders", data, "testing") == VECTOR


def test_the_configured_username_replaces_the_one_in_the_data() -> None:
    assert signing_string("ping", {"username": "someone"}, "testing") == 'ping{"username":"testing"}'


def test_without_a_username_the_data_has_none() -> None:
    assert signing_string("orders", {"start": 0, "signature": "x"}, None) == 'orders{"start":0}'
    assert signing_string("orders", {"start": 0, "username": "u"}, None) == 'orders{"start":0}'


def test_null_username_and_signature_follow_php_isset() -> None:
    # isset() is false for null: the null username is overwritten where it stands, a null signature stays.
    data = {"username": None, "a": 1, "signature": None}
    assert signing_string("x", data, "u") == 'x{"username":"u","a":1,"signature":null}'


def test_empty_data_signs_just_the_username() -> None:
    assert signing_string("orders/1000001", {}, "testing") == 'orders/1000001{"username":"testing"}'


def test_php_arrays_stay_php_arrays() -> None:
    prepared = signing_data(PhpArray({0: "a", "username": "u"}), None)
    assert isinstance(prepared, PhpArray)
    assert php_json_encode(prepared) == '["a"]'


@pytest.mark.parametrize(
    ("path", "uri"), [("/orders", "orders"), ("/orders/1000001", "orders/1000001"), ("ping", "ping")]
)
def test_signing_uri_drops_the_leading_slash(path: str, uri: str) -> None:
    assert signing_uri(path) == uri


# --- verification --------------------------------------------------------------------------------


def _documented_body(**extra: object) -> bytes:
    return php_json_encode({"start": 0, "rows": 20, "username": "testing", "signature": VECTOR, **extra}).encode()


def test_documented_vector_verifies_from_a_json_body() -> None:
    request = read_signed_request("orders", json_readings(_documented_body()))
    assert request == SignedRequest("orders", "testing", VECTOR, (b'orders{"start":0,"rows":20,"username":"testing"}',))
    assert request.verify(SECRET)
    assert verify(SECRET, "orders", json_readings(_documented_body()), VECTOR)


def test_documented_vector_verifies_from_query_parameters() -> None:
    query = f"username=testing&signature={VECTOR}&start=0&rows=20".encode()
    assert read_signed_request("orders", form_readings(query)).verify(SECRET)


def test_username_may_come_first_in_the_body() -> None:
    body = b'{"username":"testing","signature":"' + VECTOR.encode() + b'","start":0,"rows":20}'
    assert read_signed_request("orders", json_readings(body)).verify(SECRET)


def test_uppercase_hex_is_the_same_signature() -> None:
    assert verify(SECRET, "orders", json_readings(_documented_body()), VECTOR.upper())


@pytest.mark.parametrize(
    "signature",
    [
        "",
        VECTOR[:-1],
        VECTOR + "0",
        VECTOR[:-1] + "0",
        " " + VECTOR[1:],
        VECTOR[:2] + " " + VECTOR[3:],
        VECTOR + "\n",
        "g" + VECTOR[1:],
        "٠" + VECTOR[1:],
    ],
)
def test_wrong_or_malformed_signatures_fail(signature: str) -> None:
    assert not verify(SECRET, "orders", json_readings(_documented_body()), signature)


def test_a_non_string_signature_is_not_claimed() -> None:
    body = b'{"start":0,"rows":20,"username":"testing","signature":1}'
    request = read_signed_request("orders", json_readings(body))
    assert request.signature is None
    assert not request.verify(SECRET)


@pytest.mark.parametrize("body", [b'{"username":7}', b'{"username":null}', b'{"username":["testing"]}', b"{}"])
def test_a_username_that_is_not_a_string_is_not_claimed(body: bytes) -> None:
    assert read_signed_request("ping", json_readings(body)).username is None


def test_tampering_fails() -> None:
    for uri, body in [
        ("orders", _documented_body(rows=21)),
        ("orders", _documented_body(extra="x")),
        ("orders/1", _documented_body()),
        ("orders", _documented_body().replace(b"testing", b"Testing")),
    ]:
        assert not read_signed_request(uri, json_readings(body)).verify(SECRET)
    assert not read_signed_request("orders", json_readings(_documented_body())).verify(SECRET + "x")


def test_an_empty_object_may_have_been_signed_as_an_empty_array() -> None:
    readings: list[dict[str, object]] = [{"shipping": {}}, {"shipping": PhpArray()}]
    for signed_as in readings:
        signature = compute_signature(SECRET, "orders/1", signed_as, "testing")
        body = b'{"shipping":{},"username":"testing","signature":"' + signature.encode() + b'"}'
        assert read_signed_request("orders/1", json_readings(body)).verify(SECRET)


def test_numbers_may_have_been_signed_as_php_decodes_them() -> None:
    signature = compute_signature(SECRET, "orders", {"a": 1.5, "b": 0}, "testing")
    body = b'{"a":1.50,"b":-0,"username":"testing","signature":"' + signature.encode() + b'"}'
    request = read_signed_request("orders", json_readings(body))
    assert len(request.messages) == 2
    assert request.verify(SECRET)


def test_query_values_may_have_been_signed_as_strings() -> None:
    signature = compute_signature(SECRET, "orders", {"start": "0", "rows": "20"}, "testing")
    query = f"start=0&rows=20&username=testing&signature={signature}"
    assert read_signed_request("orders", form_readings(query)).verify(SECRET)


def test_a_form_post_with_nested_items_verifies() -> None:
    order = {"customer": {"name": "Jo"}, "items": [{"sku": "abc", "quantity": 2}, {"sku": "def", "quantity": 1}]}
    signature = compute_signature(SECRET, "orders", order, "testing")
    form = (
        "customer[name]=Jo&items[0][sku]=abc&items[0][quantity]=2&items[1][sku]=def&items[1][quantity]=1"
        f"&username=testing&signature={signature}"
    )
    assert read_signed_request("orders", form_readings(form)).verify(SECRET)


def test_duplicate_readings_are_signed_once() -> None:
    request = read_signed_request("orders", json_readings(b'{"a":{"0":"x"},"username":"u","signature":"s"}'))
    assert request.messages == (b'orders{"a":{"0":"x"},"username":"u"}', b'orders{"a":["x"],"username":"u"}')
    assert len(read_signed_request("x", [{"a": 1}, {"a": 1}, {"a": RawNumber("1")}]).messages) == 1


def test_readings_php_cannot_print_are_skipped() -> None:
    body = b'{"a":1e400,"username":"testing"}'
    signature = compute_signature(SECRET, "orders", {"a": RawNumber("1e400")}, "testing")
    request = read_signed_request("orders", json_readings(body))
    assert len(request.messages) == 1
    assert verify(SECRET, "orders", json_readings(body), signature)


def test_no_readings_claim_nothing() -> None:
    request = read_signed_request("ping", [])
    assert (request.username, request.signature, request.messages) == (None, None, ())
    assert not request.verify(SECRET)


_json_text = st.text(st.characters(codec="utf-8"), max_size=10)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _json_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_json_text, inner, max_size=3),
    max_leaves=12,
)
_payloads = st.dictionaries(_json_text, _json_values, max_size=5)


@settings(deadline=None)
@given(_payloads, st.text(st.characters(codec="utf-8"), min_size=1, max_size=8))
def test_a_signed_body_verifies_and_any_change_does_not(data: dict[str, Any], username: str) -> None:
    body = php_json_encode(sign_request("orders", data, username, SECRET)).encode()
    request = read_signed_request("orders", json_readings(body))
    assert request.username == username
    assert request.verify(SECRET)
    changed = json.loads(body)
    changed["extra field"] = [changed.get("extra field")]
    assert not read_signed_request("orders", json_readings(json.dumps(changed))).verify(SECRET)


@settings(deadline=None)
@given(_payloads)
def test_spacing_and_escaping_of_the_body_do_not_matter(data: dict[str, Any]) -> None:
    signed = sign_request("orders", data, "testing", SECRET)
    for body in (json.dumps(signed), json.dumps(signed, ensure_ascii=False, indent=1)):
        assert read_signed_request("orders", json_readings(body.encode())).verify(SECRET)


# --- the client ----------------------------------------------------------------------------------


def test_sign_request_matches_the_php_sample() -> None:
    signed = sign_request("orders", {"username": "x", "start": 0, "rows": 20}, "testing", SECRET)
    assert list(signed.items()) == [("start", 0), ("rows", 20), ("username", "testing"), ("signature", VECTOR)]


def test_sign_request_refuses_a_leading_slash() -> None:
    with pytest.raises(ValueError, match="without its leading slash"):
        sign_request("/orders", {}, "testing", SECRET)


def test_sign_request_refuses_what_php_cannot_hold() -> None:
    with pytest.raises(ValueError, match="64-bit"):
        sign_request("orders", {"n": 2**64}, "testing", SECRET)


ORDER = {
    "customer": {"name": "bryan maxwell", "email": "b@example.com", "zip": "78745", "country": "US"},
    "shipping": {"name": "bryan maxwell", "address": "2101 e st elmo", "city": "austin", "country": "US"},
    "items": [{"quantity": 1, "sku": "3a76fa8cfe722eb7", "image": {"type": "external", "url": "http://x/t.jpg"}}],
}


class FakeImage2Art:
    """A minimal server that verifies requests with easel's own readings and records what it received."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        uri = signing_uri(request.url.path)
        if request.method == "GET":
            readings: tuple[JsonObject, ...] = form_readings(request.url.query)
            data: dict[Any, Any] = dict(parse_form(request.url.query))
        else:
            assert request.headers["Content-Type"] == "application/json"
            readings = json_readings(request.content)
            data = json.loads(request.content)
        signed = read_signed_request(uri, readings)
        if signed.username != "testing" or not signed.verify(self.secret):
            error = {"short_message": "Authentication Failed.", "long_message": "Signature is not valid"}
            return httpx.Response(400, json={"error": error, "error_code": 112})
        self.seen.append((request.method, uri, data))
        if uri == "orders/404":
            error = {"short_message": "Not found.", "long_message": "The requested resource was not found."}
            return httpx.Response(404, json={"error_code": 404, "error": error})
        return httpx.Response(200, json={"ok": uri})


def _sync_client(server: Callable[[httpx.Request], httpx.Response], secret: str = SECRET) -> Image2ArtClient:
    http = httpx.Client(transport=httpx.MockTransport(server))
    return Image2ArtClient("https://api.example.test/", "testing", secret, http=http)


def test_client_calls_are_signed_and_verified() -> None:
    server = FakeImage2Art()
    with _sync_client(server) as client:
        assert client.list_orders(start=5, rows=10) == {"ok": "orders"}
        assert client.get_order(1000001) == {"ok": "orders/1000001"}
        assert client.create_order(ORDER) == {"ok": "orders"}
        assert client.update_order(10001, {"name": "John Doe"}) == {"ok": "orders/10001"}
        assert client.ping() == {"ok": "ping"}
    methods = [(method, uri) for method, uri, _ in server.seen]
    assert methods == [
        ("GET", "orders"),
        ("GET", "orders/1000001"),
        ("POST", "orders"),
        ("PUT", "orders/10001"),
        ("GET", "ping"),
    ]
    assert server.seen[0][2]["start"] == "5"
    assert server.seen[2][2]["items"] == ORDER["items"]
    assert list(server.seen[2][2])[-2:] == ["username", "signature"]
    assert server.seen[3][2]["shipping"] == {"name": "John Doe"}


def test_the_documented_list_orders_query_carries_the_documented_signature() -> None:
    queries: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        queries.append(request.url.query.decode())
        return httpx.Response(200, json={"orders": []})

    _sync_client(server).list_orders()
    assert queries == [f"start=0&rows=20&username=testing&signature={VECTOR}"]


def test_api_errors_raise_the_documented_error_object() -> None:
    with pytest.raises(Image2ArtError) as caught:
        _sync_client(FakeImage2Art(), secret="wrong").ping()
    error = caught.value
    assert (error.status, error.error_code, error.short_message, error.long_message) == (
        400,
        112,
        "Authentication Failed.",
        "Signature is not valid",
    )
    with pytest.raises(Image2ArtError) as caught:
        _sync_client(FakeImage2Art()).get_order(404)
    assert (caught.value.status, caught.value.error_code, caught.value.short_message) == (404, 404, "Not found.")


def test_errors_without_an_error_object_fall_back_to_the_headers() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"X-Error-Code": "120", "X-Error-Message": "Rate limit exceeded"})

    with pytest.raises(Image2ArtError) as caught:
        _sync_client(server).ping()
    assert (caught.value.status, caught.value.error_code, caught.value.long_message) == (
        429,
        120,
        "Rate limit exceeded",
    )
    assert caught.value.short_message == "Too Many Requests"


def test_a_success_that_is_not_a_json_object_is_an_error() -> None:
    with pytest.raises(Image2ArtError, match="JSON object"):
        _sync_client(lambda request: httpx.Response(200, text="{ order: { id: 10001 } }")).create_order(ORDER)


def test_get_data_that_cannot_travel_in_a_query_is_refused() -> None:
    from easel.client import _Call, _request_args

    with pytest.raises(ValueError, match="query string"):
        _request_args(_Call("GET", "orders", {"flag": True}), "https://x", "testing", SECRET)


def test_async_client_signs_the_same_way() -> None:
    server = FakeImage2Art()

    async def run() -> list[dict[str, Any]]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(server))
        async with AsyncImage2ArtClient("https://api.example.test", "testing", SECRET, http=http) as client:
            results = [
                await client.list_orders(),
                await client.get_order(7),
                await client.create_order(ORDER),
                await client.update_order(7, {"city": "Austin/TX"}),
                await client.ping(),
            ]
        await http.aclose()
        return results

    assert asyncio.run(run()) == [
        {"ok": "orders"},
        {"ok": "orders/7"},
        {"ok": "orders"},
        {"ok": "orders/7"},
        {"ok": "ping"},
    ]
    assert len(server.seen) == 5
