"""The Pixelz sandbox driven as Pixelz's official client drives Pixelz, over real HTTP.

The official client is the Platform CLI and MCP server of Pixelz-Inc/pixelz-ai-tools
(`cli-tools/platform/python/cli.py`, `mcp-servers/platform/node/src/index.ts`). `OfficialClient` below
makes its calls as it makes them: paths without a trailing slash, credentials as `contactEmail` and
`contactAPIkey` (query for GET, JSON body otherwise), local files sent through `RequestPresignUrls`
(`imageNames` → `[{UploadUrl, DownloadUrl}]`, PUT as `application/octet-stream`, `DownloadUrl` as
`imageURL`), `StackImage`, `ProductIds` (`page`, `productIdsPerPage`), `Invoices` (`fromDate`, `toDate`,
`page`, `returnUrl`), `AddColorLibrary` (`imagesUrl` → `ColorwayIds`, then `colorwayIds` on POST Image),
and its error check (`ErrorCode` other than "NoError" or 0). Before this work those five calls failed
against the sandbox with a plain-text 404.

The sandbox runs as `easel sandbox pixelz` runs it (`create_sandbox_app`: the body guard in front).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from easel.app import create_sandbox_app
from easel.sandboxes.pixelz import Account, PixelzSandboxSettings, create_app
from easel.settings import Settings

from .sandbox_access import CONTROL, CONTROL_TOKEN
from .servers import run_asgi

EMAIL, KEY = "sandbox@pixelz.example", "44979dfe-5aa7-44ea-b3dd-7fae33bc37e9"
PARTNER = ("partner@pixelz.example", "5ea1a104-f31f-4de1-b7f8-e4444e38e32a")
HOUR = 3600.0
UPLOAD_LIMIT = 200_000


class ApiError(Exception):
    """What the official client raises on an `ErrorCode` (its `[API_ERROR]` / `[PRESIGN_UNAVAILABLE]`)."""


class OfficialClient:
    """The official client's calls, one method each, as `cli.py` writes them."""

    def __init__(self, root: str, email: str = EMAIL, key: str = KEY) -> None:
        self.base = f"{root}/REST.svc/JSON"
        self.auth = {"contactEmail": email, "contactAPIkey": key}
        self.http = httpx.Client(timeout=10)

    def close(self) -> None:
        self.http.close()

    @staticmethod
    def checked(response: httpx.Response) -> Any:
        response.raise_for_status()
        data = response.json()
        if isinstance(data, dict) and data.get("ErrorCode") not in (None, "NoError", 0):
            raise ApiError(f"{data['ErrorCode']}: {data.get('Message', '')}")
        return data

    def ensure_url(self, path: str) -> str | None:
        """Nothing for nothing, a public URL as it is, a local file through RequestPresignUrls and a PUT."""
        if not path:
            return None
        if path.startswith(("http://", "https://")):
            return path
        r = self.http.post(f"{self.base}/RequestPresignUrls", json={**self.auth, "imageNames": [Path(path).name]})
        r.raise_for_status()
        body = r.json()
        if isinstance(body, dict) and body.get("ErrorCode"):
            raise ApiError(f"[PRESIGN_UNAVAILABLE] {body.get('Message')}")
        assert isinstance(body, list) and body, body
        with open(path, "rb") as f:
            self.http.put(body[0]["UploadUrl"], content=f.read(),
                          headers={"Content-Type": "application/octet-stream"}).raise_for_status()
        return str(body[0]["DownloadUrl"])

    def upload(self, path: str, template: str, **options: Any) -> Any:
        payload = {**self.auth, "imageURL": self.ensure_url(path), **options, "templateId": template}
        return self.checked(self.http.post(f"{self.base}/Image", json=payload))

    def stack(self, path: str, template: str | None = None, **options: Any) -> Any:
        payload = {**self.auth, "imageURL": self.ensure_url(path), **options}
        if template:
            payload["templateId"] = template
        return self.checked(self.http.post(f"{self.base}/StackImage", json=payload))

    def status(self, ticket: str) -> Any:
        return self.checked(self.http.get(f"{self.base}/Image/{ticket}", params=self.auth))

    def list_products(self, page: int | None = None, per_page: int | None = None) -> Any:
        params = {k: v for k, v in {**self.auth, "page": page, "productIdsPerPage": per_page}.items() if v is not None}
        return self.checked(self.http.get(f"{self.base}/ProductIds", params=params))

    def get_invoices(self, **options: Any) -> Any:
        return self.checked(self.http.get(f"{self.base}/Invoices", params={**self.auth, **options}))

    def add_color_library(self, *paths: str) -> Any:
        payload = {**self.auth, "imagesUrl": [self.ensure_url(p) for p in paths]}
        return self.checked(self.http.post(f"{self.base}/AddColorLibrary", json=payload))


Connect = Callable[..., OfficialClient]


@pytest.fixture
def sandbox() -> Iterator[str]:
    settings = replace(Settings(), sandbox_max_body_bytes=UPLOAD_LIMIT, sandbox_speed=0)
    with run_asgi(create_sandbox_app("pixelz", settings, token=CONTROL_TOKEN)) as url:
        yield url


@pytest.fixture
def connect(sandbox: str) -> Iterator[Callable[..., OfficialClient]]:
    """Official clients of the sandbox (the first account unless told), closed after the test."""
    made: list[OfficialClient] = []

    def make(email: str = EMAIL, key: str = KEY) -> OfficialClient:
        made.append(OfficialClient(sandbox, email, key))
        return made[-1]

    yield make
    for client in made:
        client.http.close()


def advance(root: str, seconds: float) -> None:
    httpx.post(f"{root}/_control/clock", json={"advance": seconds}, headers=CONTROL).raise_for_status()
    httpx.post(f"{root}/_control/tick", headers=CONTROL).raise_for_status()


def photo(tmp_path: Path, name: str = "shirt.jpg", size: tuple[int, int] = (64, 48)) -> Path:
    path = tmp_path / name
    Image.new("RGB", size, (200, 40, 40)).save(path, format="JPEG")
    return path


def control_image(root: str, ticket: str) -> dict[str, Any]:
    images = httpx.get(f"{root}/_control/images", headers=CONTROL).json()["images"]
    found: dict[str, Any] = next(i for i in images if i["ticket"] == ticket)
    return found


# -- RequestPresignUrls ------------------------------------------------------------------------------


def test_a_local_file_goes_up_through_presigned_urls_and_image_takes_the_download_url(
        sandbox: str, connect: Connect, tmp_path: Path) -> None:
    client = connect()
    source = photo(tmp_path)
    posted = client.upload(str(source), "21032576", customerImageId="local-1")
    image = control_image(sandbox, posted["ImageTicket"])
    download = image["imageURL"]
    assert download.startswith(f"{sandbox}/presigned/") and "signature=" in download
    served = httpx.get(download)
    assert served.status_code == 200 and served.content == source.read_bytes()
    advance(sandbox, 4 * HOUR)
    status = client.status(posted["ImageTicket"])["ImageStatus"]
    assert status["StatusId"] == 70, status  # downloaded from the upload, then produced
    final = httpx.get(sandbox + status["FinalImagesURL"][0])
    assert final.status_code == 200 and final.headers["content-type"] == "image/jpeg"


def test_presigned_urls_are_one_per_name_signed_and_expire(sandbox: str, connect: Connect) -> None:
    client = connect()
    pairs = client.checked(client.http.post(f"{client.base}/RequestPresignUrls",
                                            json={**client.auth, "imageNames": ["a.jpg", "b.png"]}))
    assert [sorted(p) for p in pairs] == [["DownloadUrl", "UploadUrl"]] * 2
    assert pairs[0]["UploadUrl"].split("?")[0].endswith("/a.jpg") and pairs[1]["DownloadUrl"].split("?")[0].endswith("/b.png")
    upload, download = pairs[0]["UploadUrl"], pairs[0]["DownloadUrl"]
    assert httpx.get(download).json()["ErrorCode"] == "NoSuchKey"  # nothing uploaded yet
    assert httpx.put(upload.split("?")[0], content=b"x").status_code == 403  # unsigned
    assert httpx.put(download, content=b"x").status_code == 403  # a download signature does not upload
    assert httpx.put(upload, content=b"").json()["ErrorCode"] == "IncompleteBody"
    too_big = httpx.put(upload, content=b"x" * (UPLOAD_LIMIT + 1))
    assert too_big.status_code == 413  # the app's body guard, before the sandbox reads it
    assert httpx.put(upload, content=b"bytes").status_code == 200
    assert httpx.get(download).content == b"bytes"
    advance(sandbox, 8 * 86400)
    expired = httpx.put(pairs[1]["UploadUrl"], content=b"late")
    assert expired.status_code == 403 and "expired" in expired.json()["Message"]
    assert httpx.get(download).content == b"bytes"  # a DownloadUrl does not expire


def test_an_image_whose_presigned_file_never_arrived_fails_to_download(sandbox: str, connect: Connect) -> None:
    client = connect()
    [pair] = client.checked(client.http.post(f"{client.base}/RequestPresignUrls",
                                             json={**client.auth, "imageNames": ["never.jpg"]}))
    posted = client.upload(pair["DownloadUrl"], "21032576")
    advance(sandbox, 4 * HOUR)
    assert client.status(posted["ImageTicket"])["ImageStatus"]["StatusId"] == 12


@pytest.mark.parametrize(("names", "problem"), [([], "MissingParameter"), ("a.jpg", "InvalidParameter"),
                                                (["../etc/passwd"], "InvalidParameter"), ([7], "InvalidParameter"),
                                                (["x.jpg"] * 101, "InvalidParameter")])
def test_bad_image_names_are_refused_as_the_client_expects(sandbox: str, connect: Connect, names: Any, problem: str) -> None:
    client = connect()
    body = client.http.post(f"{client.base}/RequestPresignUrls", json={**client.auth, "imageNames": names}).json()
    assert isinstance(body, dict) and body["ErrorCode"] == problem and body["Message"]


def test_an_account_without_direct_uploads_gets_the_error_the_client_reports(tmp_path: Path) -> None:
    closed = Account(email="closed@pixelz.example", api_key="closed-key", secret="s", contact_id=5,
                     presign_enabled=False)
    app = create_app(PixelzSandboxSettings(control_token=CONTROL_TOKEN, accounts=[closed]))
    with run_asgi(app) as url, closing(OfficialClient(url, closed.email, closed.api_key)) as client, \
            pytest.raises(ApiError, match=r"PRESIGN_UNAVAILABLE.*not enabled"):
        client.upload(str(photo(tmp_path)), "21032576")


# -- StackImage ---------------------------------------------------------------------------------------


def test_stack_parts_with_one_product_id_finish_together_as_one_result(sandbox: str, connect: Connect, tmp_path: Path) -> None:
    client = connect()
    first = client.stack(str(photo(tmp_path, "front.jpg")), "21032576", productId="tee-1", customerImageId="f")
    advance(sandbox, 240)  # four minutes: still the same stack
    second = client.stack("https://img.example.com/back.jpg", "21032576", productId="tee-1", customerImageId="b")
    assert first["ErrorCode"] == second["ErrorCode"] == "NoError" and first["ImageTicket"] != second["ImageTicket"]
    assert first["IsTrial"] == "false"
    advance(sandbox, 10 * 60)
    lone = client.stack("https://img.example.com/side.jpg", productId="tee-1")  # past the window
    advance(sandbox, 4 * HOUR - 840 + 100)  # the first part alone would be done by now; the stack is not
    assert client.status(first["ImageTicket"])["ImageStatus"]["StatusId"] == 66
    advance(sandbox, 200)
    finals = [client.status(t["ImageTicket"])["ImageStatus"] for t in (first, second)]
    assert [f["StatusId"] for f in finals] == [70, 70]
    pictures = {httpx.get(sandbox + f["FinalImagesURL"][0]).content for f in finals}
    assert len(pictures) == 1  # one unified result
    stacks = {control_image(sandbox, t["ImageTicket"])["stack"] for t in (first, second, lone)}
    assert len(stacks) == 2


def test_stack_image_validates_like_post_image(sandbox: str, connect: Connect) -> None:
    client = connect()
    with pytest.raises(ApiError, match="MissingParameter"):
        client.stack("", productId="p")
    with pytest.raises(ApiError, match="TemplateNotFound"):
        client.stack("https://img.example.com/a.jpg", "999", productId="p")


# -- ProductIds ----------------------------------------------------------------------------------------


def test_product_ids_count_done_and_todo_and_page(sandbox: str, connect: Connect) -> None:
    client = connect()
    for n, product in enumerate(["p-1", "p-1", "p-2", "p-3"]):
        client.upload(f"https://img.example.com/{n}.jpg", "21032576", productId=product)
    advance(sandbox, 4 * HOUR)
    late = client.upload("https://img.example.com/late.jpg", "21032576", productId="p-1")
    assert late["ErrorCode"] == "NoError"
    rows = client.list_products()["ProductIds"]
    assert rows == [{"DoneCount": 2, "ProductId": "p-1", "TodoCount": 1},
                    {"DoneCount": 1, "ProductId": "p-2", "TodoCount": 0},
                    {"DoneCount": 1, "ProductId": "p-3", "TodoCount": 0}]
    assert [r["ProductId"] for r in client.list_products(page=2, per_page=2)["ProductIds"]] == ["p-3"]
    with pytest.raises(ApiError, match="InvalidParameter"):
        client.list_products(per_page=101)
    assert connect(*PARTNER).list_products()["ProductIds"] == []  # another account's are not shown


# -- Invoices ---------------------------------------------------------------------------------------------


def test_invoices_bill_finished_images_per_day(sandbox: str, connect: Connect) -> None:
    client = connect()
    assert client.get_invoices()["Invoices"] == []
    client.upload("https://img.example.com/a.jpg", "21032576")  # 2.00
    client.upload("https://img.example.com/b.jpg", "203863")  # 1.50
    advance(sandbox, 2 * 86400)  # whatever the time of day, a and b finish (4 h after upload) two days before c
    client.upload("https://img.example.com/c.jpg", "20635295")  # 1.00
    advance(sandbox, 86400)
    invoices = client.get_invoices(returnUrl="https://shop.example/paid")["Invoices"]
    assert [i["AmountDue"] for i in invoices] == ["1.00", "3.50"]  # newest first, text as in the document
    newest = invoices[0]
    assert sorted(newest) == ["AmountDue", "CreatedDate", "InvoiceId", "InvoiceUrl", "IsPaid", "PaymentUrl"]
    assert newest["InvoiceId"].startswith("INV-") and newest["IsPaid"] is False
    assert newest["InvoiceUrl"] == f"/DownloadInvoice?invoiceNumber={newest['InvoiceId']}"
    assert newest["PaymentUrl"].startswith("/Transactions?key=") and "returnUrl=https://shop.example/paid" in newest["PaymentUrl"]
    day = datetime.fromisoformat(newest["CreatedDate"]).replace(tzinfo=UTC)
    only_newest = client.get_invoices(fromDate=day.date().isoformat())["Invoices"]
    assert [i["InvoiceId"] for i in only_newest] == [newest["InvoiceId"]]
    before = (day - timedelta(days=1)).date().isoformat()
    assert [i["AmountDue"] for i in client.get_invoices(toDate=before)["Invoices"]] == ["3.50"]
    with pytest.raises(ApiError, match="InvalidParameter"):
        client.get_invoices(fromDate="yesterday")


# -- AddColorLibrary ------------------------------------------------------------------------------------


def test_color_library_returns_colorway_ids_that_post_image_accepts(sandbox: str, connect: Connect, tmp_path: Path) -> None:
    client = connect()
    swatch = tmp_path / "navy.png"
    Image.new("RGB", (8, 8), (0, 0, 128)).save(swatch)
    answer = client.add_color_library(str(swatch), "https://img.example.com/red-swatch.jpg")
    ids = answer["ColorwayIds"]
    assert answer["ErrorCode"] == "NoError" and len(ids) == 2 and all(isinstance(i, int) for i in ids)
    posted = client.upload("https://img.example.com/dress.jpg", "21032576", colorwayIds=ids)
    assert control_image(sandbox, posted["ImageTicket"])["colorwayIds"] == ids
    with pytest.raises(ApiError, match="not in this account's color library"):
        connect(*PARTNER).upload("https://img.example.com/d.jpg", "21032576", colorwayIds=ids)
    with pytest.raises(ApiError, match="MissingParameter"):
        client.checked(client.http.post(f"{client.base}/AddColorLibrary", json={**client.auth, "imagesUrl": []}))
    with pytest.raises(ApiError, match=r"imagesUrl\[0\]"):
        client.checked(client.http.post(f"{client.base}/AddColorLibrary",
                                        json={**client.auth, "imagesUrl": ["swatch.jpg"]}))


# -- the error object ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/REST.svc/JSON/Nothing", 404, "EndpointNotFound"),
    ("GET", "/REST.svc/XML/Images", 404, "EndpointNotFound"),
    ("GET", "/nothing/at/all", 404, "EndpointNotFound"),
    ("DELETE", "/REST.svc/JSON/Templates", 405, "MethodNotAllowed"),
    ("GET", "/REST.svc/JSON/StackImage", 405, "MethodNotAllowed"),
])
def test_unknown_paths_and_methods_answer_pixelz_error_object(sandbox: str, method: str, path: str, status: int,
                                                              code: str) -> None:
    r = httpx.request(method, sandbox + path)
    assert r.status_code == status and r.headers["content-type"] == "application/json"
    assert r.json()["ErrorCode"] == code and path in r.json()["Message"]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b"[" * 5000 + b"]" * 5000])
def test_bodies_that_are_not_a_json_object_answer_the_error_object(sandbox: str, body: bytes) -> None:
    r = httpx.post(f"{sandbox}/REST.svc/JSON/StackImage", content=body)
    assert r.status_code == 400 and r.json()["ErrorCode"] == "InvalidRequest" and r.json()["Message"]


def test_result_files_need_their_signed_link(sandbox: str, connect: Connect) -> None:
    client = connect()
    posted = client.upload("https://img.example.com/a.jpg", "21032576")
    advance(sandbox, 4 * HOUR)
    link = client.status(posted["ImageTicket"])["ImageStatus"]["FinalImagesURL"][0]
    assert httpx.get(sandbox + link).status_code == 200
    guessed = httpx.get(sandbox + link.split("?")[0])
    assert guessed.status_code == 403 and guessed.json()["ErrorCode"] == "AccessDenied"
    assert Image.open(io.BytesIO(httpx.get(sandbox + link).content)).size == (96, 72)
