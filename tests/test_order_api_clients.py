"""Real clients against a real server: the document's PHP signRequest, its curl examples, and
``easel.client``, over HTTP to easel served by uvicorn."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from easel.app import create_demo_app
from easel.client import Image2ArtClient, sign_request
from easel.demo.seed import DEMO_SECRET
from easel.runtime import Runtime
from easel.settings import Settings
from easel.storage.tables import configurations

from .servers import run_asgi

pytestmark = pytest.mark.anyio

PHP_CLIENT = r"""<?php
// The document's signRequest, with the test account filled in.
function signRequest($uri, $data = array()) {
    if (isset($data['username'])) { unset($data['username']); }
    if (isset($data['signature'])) { unset($data['signature']); }
    $data['username'] = 'testing';
    $req = $uri.json_encode($data);
    return hash_hmac('sha256', $req, '$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki');
}
function call($base, $method, $uri, $data, $asQuery = false) {
    $data['signature'] = signRequest($uri, $data);
    $data['username'] = 'testing';
    $url = $base . '/' . $uri;
    $options = array('method' => $method, 'ignore_errors' => true,
                     'header' => "Content-Type: application/json\r\nAccept: application/json\r\n");
    if ($asQuery) { $url .= '?' . http_build_query($data); } else { $options['content'] = json_encode($data); }
    $body = file_get_contents($url, false, stream_context_create(array('http' => $options)));
    preg_match('/\d{3}/', $http_response_header[0], $status);
    return array('status' => (int)$status[0], 'body' => json_decode($body, true));
}
$base = $argv[1];
$sku = $argv[2];
$out = array();
$out['list_query'] = call($base, 'GET', 'orders', array('start' => 0, 'rows' => 20), true);
$order = array(
    'external_order_number' => 'PHP-1/ü',
    'customer' => array('name' => 'bryan maxwell', 'company' => 'new era portfolio', 'email' => 'bmaxwell@newerahd.com',
        'phone' => '512-928-3200', 'address' => '2101 e st elmo', 'city' => 'austin', 'state' => 'tx',
        'zip' => '78745', 'country' => 'US'),
    'shipping' => array('name' => 'bryan maxwell', 'company' => 'new era portfolio', 'address' => '2101 e st elmo',
        'city' => 'austin', 'state' => 'tx', 'zip' => '78745', 'country' => 'US'),
    'items' => array(array('quantity' => 1, 'sku' => $sku, 'notes' => 'Please leave on front porch. -Customer')),
);
$out['create'] = call($base, 'POST', 'orders', $order);
$id = $out['create']['body']['order']['id'];
$out['get'] = call($base, 'GET', 'orders/' . $id, array());
$out['put'] = call($base, 'PUT', 'orders/' . $id, array('shipping' => array('name' => 'John Doe')));
$out['delete'] = call($base, 'DELETE', 'orders/' . $id, array());
$out['ping'] = call($base, 'POST', 'ping', array());
echo json_encode($out);
"""


async def _sku(runtime: Runtime) -> str:
    async with runtime.engine.connect() as conn:
        return str((await conn.execute(select(configurations.c.sku).order_by(configurations.c.sku))).scalars().first())


async def test_a_php_client_using_the_documents_sign_request(demo_runtime: Runtime, settings: Settings,
                                                             tmp_path: Path) -> None:
    php = shutil.which("php")
    assert php, "php-cli is missing: run `make system-deps`"
    script = tmp_path / "client.php"
    script.write_text(PHP_CLIENT)
    sku = await _sku(demo_runtime)
    # No worker: the client changes the address of an order still Pending, which a worker plans (and so
    # moves to Processing) within milliseconds, before the client's next request.
    with run_asgi(create_demo_app(replace(settings, worker=False))) as base:
        done = subprocess.run([php, str(script), base, sku], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["list_query"]["status"] == 200 and out["list_query"]["body"]["orders"] == []
    assert out["create"]["status"] == 201, out["create"]
    assert out["get"]["status"] == 200 and out["get"]["body"]["items"][0]["sku"] == sku
    assert out["get"]["body"]["items"][0]["notes"] == "Please leave on front porch. -Customer"
    assert out["put"]["body"] == {"order": {"id": out["create"]["body"]["order"]["id"]}, "affectedRows": 1}
    assert out["delete"]["status"] == 501 and out["delete"]["body"]["error_code"] == 501
    assert out["ping"]["body"]["user"]["username"] == "testing"


async def test_the_documents_curl_examples(demo_runtime: Runtime, settings: Settings) -> None:
    curl = shutil.which("curl")
    assert curl
    signature = sign_request("orders", {}, "testing", DEMO_SECRET)["signature"]
    with run_asgi(create_demo_app(settings)) as base:
        listed = subprocess.run(
            [curl, "-s", "-H", "Content-Type: application/json", "-H", "Accept: application/json",
             "-d", json.dumps({"username": "testing", "signature": signature}), f"{base}/orders"],
            capture_output=True, text=True, timeout=30)
        home = subprocess.run([curl, "-s", "-H", "Accept: application/json", f"{base}/"], capture_output=True,
                              text=True, timeout=30)
    assert json.loads(listed.stdout)["orders"] == []
    assert json.loads(home.stdout)["version"] == "1.0-beta"


async def test_the_python_client(demo_runtime: Runtime, settings: Settings) -> None:
    sku = await _sku(demo_runtime)
    with run_asgi(create_demo_app(settings)) as base, Image2ArtClient(base, "testing", DEMO_SECRET) as client:
        assert client.ping()["user"]["username"] == "testing"
        address = {"name": "A B", "address": "1 St", "city": "Austin", "state": "TX", "zip": "78701", "country": "US"}
        created = client.create_order({"customer": {**address, "email": "a@b.co", "phone": "555-0100"},
                                       "shipping": address, "items": [{"sku": sku, "quantity": 2}]})
        order = client.get_order(created["order"]["id"])
        assert order["total_items"] == 2
        assert client.list_orders()["orders"][0]["id"] == order["id"]
        assert client.order_events(order["id"])["events"][0]["type"] == "order.accepted"
        # easel's additions: sell from the catalogue, lock a price with a quote.
        first = client.catalog(rows=1)["artworks"][0]["configurations"][0]
        assert client.product(first["sku"])["product"]["price"] == first["price"]
        quote = client.create_quote({"items": [{"sku": first["sku"], "quantity": 1}], "country": "US"})["quote"]
        quoted = client.create_order({"customer": {**address, "email": "a@b.co", "phone": "555-0100"},
                                      "shipping": address, "items": [{"sku": first["sku"], "quantity": 1}],
                                      "quote_id": quote["id"]})
        assert client.get_order(quoted["order"]["id"])["total_price"] == quote["total_price"]
        with pytest.raises(ValueError, match="16 lowercase hex"):
            client.product("../orders")
