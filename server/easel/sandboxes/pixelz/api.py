"""The Pixelz JSON REST routes (`/REST.svc/JSON/...`), their validation and their answers.

Every call of the document and every call Pixelz's official client (the Platform CLI and MCP server of
Pixelz-Inc/pixelz-ai-tools) makes: the document's, plus `StackImage`, `RequestPresignUrls`,
`AddColorLibrary` (and `ProductIds`, `Invoices`, which the document has too). Credentials travel as
fields: in the query string for GET, in the JSON body otherwise; names are matched case-insensitively,
as .NET binds them. Errors are Pixelz's error object (see `errors.py`); a body that is not a JSON
object (or nests too deep) is 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from easel.sandboxes.pixelz import reports
from easel.sandboxes.pixelz.errors import PixelzError
from easel.sandboxes.pixelz.settings import Account, TemplateSpec
from easel.sandboxes.pixelz.state import PixelzSandbox, SandboxImage
from easel.web.json_body import JsonBodyError, parse_json_object

PREFIX = "/REST.svc/JSON"
EXTRA_URLS = ("imageURL2", "imageURL3", "imageURL4", "imageURL5", "colorReferenceFileURL")
SORTS = {"id": lambda i: i.id, "date": lambda i: i.created, "status": lambda i: (i.status, i.id)}
_UNSAFE_NAME = frozenset('/\\') | frozenset(chr(c) for c in range(32))

Params = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]


def answer(body: dict[str, Any] | None = None, *, message: str = "") -> JSONResponse:
    return JSONResponse({"ErrorCode": "NoError", "Message": message, **(body or {})})


# -- reading fields ---------------------------------------------------------------------------------


async def _fields(request: Request, max_depth: int) -> Params:
    if request.method == "GET":
        return {k.lower(): v for k, v in request.query_params.items()}
    try:
        body = parse_json_object(await request.body(), max_depth, empty={})
    except JsonBodyError as err:
        raise PixelzError("InvalidRequest", f"The request body must be a JSON object: {err}.", 400) from None
    return {str(k).lower(): v for k, v in body.items()}


def _text(fields: Params, name: str, *, required: bool = False) -> str | None:
    value = fields.get(name.lower())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if value is not None and not isinstance(value, str):
        raise PixelzError("InvalidParameter", f"{name} must be a string.")
    value = value.strip() if value else None
    if required and not value:
        raise PixelzError("MissingParameter", f"{name} is required.")
    return value or None


def _number(fields: Params, name: str, default: int | None = None, low: int = 0, high: int = 2**31 - 1) -> int | None:
    text = _text(fields, name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise PixelzError("InvalidParameter", f"{name} must be a whole number between {low} and {high}.")
    return int(text)


def _url(fields: Params, name: str, *, required: bool = False) -> str | None:
    value = _text(fields, name, required=required)
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PixelzError("InvalidParameter", f"{name} must be an absolute http or https URL: {value}")
    return value


def _date(fields: Params, name: str, *, end: bool) -> datetime | None:
    text = _text(fields, name)
    if text is None:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d" and end:
            parsed = datetime.combine(date(parsed.year, parsed.month, parsed.day), time.max)
        return parsed.replace(tzinfo=UTC)
    raise PixelzError("InvalidParameter", f"{name} must be a date as yyyy-MM-dd or yyyy-MM-dd HH:mm:ss.")


def _list(fields: Params, name: str, limit: int) -> list[Any]:
    value = fields.get(name.lower())
    if value is None or value == []:
        raise PixelzError("MissingParameter", f"{name} is required: a list of at least one entry.")
    if not isinstance(value, list):
        raise PixelzError("InvalidParameter", f"{name} must be a list.")
    if len(value) > limit:
        raise PixelzError("InvalidParameter", f"{name} may hold at most {limit} entries.")
    return value


def _file_names(fields: Params, limit: int) -> list[str]:
    names = _list(fields, "imageNames", limit)
    for name in names:
        if not isinstance(name, str) or not name.strip() or len(name) > 255 or _UNSAFE_NAME & set(name):
            raise PixelzError("InvalidParameter", f"imageNames holds {name!r}: each must be a file name "
                                                  "(1 to 255 characters, no slashes or control characters).")
    return [name.strip() for name in names]


def _urls(fields: Params, name: str, limit: int) -> list[str]:
    urls = _list(fields, name, limit)
    for position, value in enumerate(urls):
        parts = urlsplit(value.strip()) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise PixelzError("InvalidParameter", f"{name}[{position}] must be an absolute http or https URL.")
    return [u.strip() for u in urls]


def _ids(fields: Params, name: str) -> tuple[int, ...]:
    value = fields.get(name.lower())
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise PixelzError("InvalidParameter", f"{name} must be a list of whole numbers.")
    return tuple(value)


def _flag(fields: Params, name: str) -> bool:
    text = (_text(fields, name) or "false").lower()
    if text not in ("true", "false"):
        raise PixelzError("InvalidParameter", f"{name} accepts true or false.")
    return text == "true"


def _public_root(request: Request, configured: str | None) -> str:
    if configured:
        return configured.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}".rstrip("/")


# -- the routes -------------------------------------------------------------------------------------


class PixelzApi:
    def __init__(self, sandbox: PixelzSandbox) -> None:
        self.sandbox = sandbox

    async def _begin(self, request: Request) -> tuple[Account, Params]:
        fields = await _fields(request, self.sandbox.settings.max_json_depth)
        email = _text(fields, "contactEmail", required=True) or ""
        key = _text(fields, "contactAPIkey", required=True) or ""
        account = self.sandbox.account(email, key)
        if account is None:
            raise PixelzError("AuthenticationFailed", "contactEmail and contactAPIkey do not match an account.")
        self.sandbox.progress(self.sandbox.clock.now())
        return account, fields

    def _image(self, request: Request, account: Account, fields: Params) -> SandboxImage:
        ticket = str(request.path_params["ticket"])
        customer_image_id = _text(fields, "customerImageId")
        if ticket.lower() == "nonticket" and customer_image_id is None:
            raise PixelzError("MissingParameter", "customerImageId is required when imageTicket is nonticket.")
        image = self.sandbox.find(account, ticket, customer_image_id)
        if image is None:
            raise PixelzError("ImageNotFound", f"Image {customer_image_id or ticket} was not found.")
        return image

    def _template(self, fields: Params, *, white_glove: bool) -> TemplateSpec:
        template_id = None if white_glove else _number(fields, "templateId")
        if template_id is None:
            return self.sandbox.settings.templates[0]  # Pixelz picks one (white glove) or uses the default
        template = self.sandbox.template(template_id)
        if template is None:
            raise PixelzError("TemplateNotFound", f"Template {template_id} was not found.")
        return template

    async def templates(self, request: Request) -> Response:
        account, _ = await self._begin(request)
        return answer({"Templates": [_template_summary(t, account) for t in self.sandbox.settings.templates]})

    async def template(self, request: Request) -> Response:
        await self._begin(request)
        raw = str(request.path_params["template_id"])
        template = self.sandbox.template(int(raw)) if raw.isdigit() else None
        if template is None:
            raise PixelzError("TemplateNotFound", f"Template {raw} was not found.")
        return answer({"Template": _template_detail(template)}, message="Success")

    async def post_image(self, request: Request) -> Response:
        return await self._add(request, white_glove=False)

    async def white_glove(self, request: Request) -> Response:
        return await self._add(request, white_glove=True)

    async def stack_image(self, request: Request) -> Response:
        """One part of a stack: parts with the same productId posted within 5 minutes become one result."""
        return await self._add(request, white_glove=False, kind="stack")

    async def _add(self, request: Request, *, white_glove: bool, kind: str = "image") -> Response:
        account, fields = await self._begin(request)
        image_url = _url(fields, "imageURL", required=True) or ""
        for name in EXTRA_URLS:
            _url(fields, name)
        colorways = _ids(fields, "colorwayIds")
        unknown = [c for c in colorways if (found := self.sandbox.colorways.get(c)) is None
                   or found.owner != account.api_key]  # fmt: skip
        if unknown:
            raise PixelzError("InvalidParameter", f"colorwayIds {unknown} are not in this account's color library.")
        template = self._template(fields, white_glove=white_glove)
        partner_key = _text(fields, "developerAPIkey")
        partner = self.sandbox.partner(partner_key) if partner_key else None
        if partner_key and partner is None:
            raise PixelzError("InvalidDeveloperAPIkey", "developerAPIkey does not match an account.")
        deadline = _date(fields, "imageDeadlineDateTimeUTC", end=False)
        shortest = self.sandbox.clock.now() + timedelta(hours=self.sandbox.settings.minimum_deadline_hours)
        if deadline is not None and deadline < shortest:
            raise PixelzError("InvalidDeadline", "imageDeadlineDateTimeUTC is shorter than the minimum deadline.")
        image = self.sandbox.add(
            account, template, image_url=image_url, callback_url=_url(fields, "imageCallbackURL"),
            customer_image_id=_text(fields, "customerImageId"), product_id=_text(fields, "productId"),
            partner=partner, deadline=deadline, public_root=_public_root(request, self.sandbox.settings.public_url),
            kind="white_glove" if white_glove else kind, colorways=colorways,
        )  # fmt: skip
        cid = image.customer_image_id  # the document's example answers it as a number
        shown: int | str | None = int(cid) if cid and cid.isdigit() else cid
        return answer({"ImageTicket": image.ticket, "IsTrial": "false", "CustomerImageId": shown})

    async def status(self, request: Request) -> Response:
        account, fields = await self._begin(request)
        return answer({"ImageStatus": self.sandbox.status_json(self._image(request, account, fields))})

    async def delete(self, request: Request) -> Response:
        account, fields = await self._begin(request)
        image = self._image(request, account, fields)
        if not self.sandbox.delete(image):
            raise PixelzError("CannotDeleteImage", f"Cannot delete an image in status {image.status}.")
        return JSONResponse({"ErrorCode": 0, "Message": "Image was deleted"})  # the document's numeric 0

    async def reject(self, request: Request) -> Response:
        account, fields = await self._begin(request)
        image = self._image(request, account, fields)
        if not self.sandbox.return_for_production(image):
            raise PixelzError("CannotRejectImage", "Cannot reject a not yet finished image.")
        return answer(message="Image was rejected.")

    def _filtered(self, account: Account, fields: Params) -> list[SandboxImage]:
        wanted = _number(fields, "imageStatus")
        excluded = _number(fields, "excludeImageStatus")
        product = _text(fields, "productId")
        start, end = _date(fields, "fromDate", end=False), _date(fields, "toDate", end=True)
        return [
            i for i in self.sandbox.mine(account)
            if (wanted is None or i.status == wanted) and (excluded is None or i.status != excluded)
            and (product is None or i.product_id == product)
            and (start is None or i.created >= start) and (end is None or i.created <= end)
        ]  # fmt: skip

    async def images(self, request: Request) -> Response:
        account, fields = await self._begin(request)
        page = _number(fields, "page", 1, 1) or 1
        per_page = _number(fields, "imagesPerPage", 10, 1, 100) or 10
        sort = (_text(fields, "sortBy") or "id").lower()
        if sort not in SORTS:
            raise PixelzError("InvalidParameter", "sortBy accepts id, date or status.")
        found = sorted(self._filtered(account, fields), key=SORTS[sort], reverse=_flag(fields, "isDescending"))
        chosen = found[(page - 1) * per_page : page * per_page]
        return answer({"Images": [self.sandbox.status_json(i, leading_slash=False) for i in chosen]})

    async def count(self, request: Request) -> Response:
        account, fields = await self._begin(request)
        return answer({"ImagesCount": len(self._filtered(account, fields))})

    async def contact(self, request: Request) -> Response:
        account, _ = await self._begin(request)
        return answer(
            {"Contact": {"ContactAccountBalance": {"Amount": 81.05, "Currency": "USD", "CurrencyId": 1},
                         "ContactCompany": account.company, "ContactDaysOfCredit": 15, "ContactEmail": account.email,
                         "ContactPerson": account.person, "NumberOfTrialImages": 0}}
        )  # fmt: skip

    async def presign(self, request: Request) -> Response:
        """RequestPresignUrls: a bare JSON list of `{UploadUrl, DownloadUrl}`, one per name, in order."""
        account, fields = await self._begin(request)
        if not account.presign_enabled:
            raise PixelzError("PresignNotEnabled", "This account is not enabled for direct file uploads.")
        names = _file_names(fields, self.sandbox.settings.max_presign_names)
        root = _public_root(request, self.sandbox.settings.public_url)
        return JSONResponse(self.sandbox.uploads.presign(account, names, root))

    async def add_color_library(self, request: Request) -> Response:
        """AddColorLibrary: register swatch images; their `ColorwayIds` may go with POST Image."""
        account, fields = await self._begin(request)
        urls = _urls(fields, "imagesUrl", self.sandbox.settings.max_presign_names)
        ids = [self.sandbox.add_colorway(account, url).id for url in urls]
        return answer({"ColorwayIds": ids})

    async def product_ids(self, request: Request) -> Response:
        account, fields = await self._begin(request)
        page = _number(fields, "page", 1, 1) or 1
        per_page = _number(fields, "productIdsPerPage", 10, 1, 100) or 10
        rows = reports.product_ids(self.sandbox.mine(account))
        return answer({"ProductIds": rows[(page - 1) * per_page : page * per_page]})

    async def invoices(self, request: Request) -> Response:
        account, fields = await self._begin(request)
        page = _number(fields, "page", 1, 1) or 1
        start, end = _date(fields, "fromDate", end=False), _date(fields, "toDate", end=True)
        return_url = _url(fields, "returnUrl")
        rows = [row for row in reports.invoices(self.sandbox.mine(account), account.contact_id, return_url)
                if (start is None or row["CreatedDate"] >= start.date().isoformat())
                and (end is None or row["CreatedDate"] <= end.date().isoformat())]  # fmt: skip
        per_page = reports.INVOICES_PER_PAGE
        return answer({"Invoices": rows[(page - 1) * per_page : page * per_page]})

    def routes(self) -> list[Route]:
        table: list[tuple[str, Handler, str]] = [
            ("/Templates", self.templates, "GET"),
            ("/Template/{template_id}", self.template, "GET"),
            ("/Image", self.post_image, "POST"),
            ("/WhiteGloveService", self.white_glove, "POST"),
            ("/Image/{ticket}", self.status, "GET"),
            ("/Image/{ticket}", self.delete, "DELETE"),
            ("/Image/Reject/{ticket}", self.reject, "PUT"),
            ("/Images", self.images, "GET"),
            ("/Images/Count", self.count, "GET"),
            ("/Contact", self.contact, "GET"),
            ("/StackImage", self.stack_image, "POST"),
            ("/RequestPresignUrls", self.presign, "POST"),
            ("/AddColorLibrary", self.add_color_library, "POST"),
            ("/ProductIds", self.product_ids, "GET"),
            ("/Invoices", self.invoices, "GET"),
        ]
        # The document writes every path with a trailing slash; clients often leave it off. Both work
        # (a redirect would lose a POST body).
        return [Route(PREFIX + path + end, handler, methods=[method])
                for path, handler, method in table for end in ("/", "")]  # fmt: skip


def _price(amount: float) -> dict[str, Any]:
    return {"Amount": amount, "Currency": "USD", "CurrencyId": 1}


def _template_summary(t: TemplateSpec, account: Account) -> dict[str, Any]:
    return {"ColorAdjustment": False, "ColorAdjustmentComment": "", "ColorAdjustmentSetting": "",
            "ColorMatchComment": "", "ColorMatching": False, "ColorMatchingSetting": "",
            "ContactId": account.contact_id, "IsCombinedImages": False, "IsRecreateDetail": False,
            "Prices": [_price(t.price)], "TemplateId": t.id, "TemplateLabelId": 10, "TemplateName": t.name}  # fmt: skip


def _template_detail(t: TemplateSpec) -> dict[str, Any]:
    return {"BackgroundColor": None, "BackgroundType": 2 if t.output_format == "PNG" else 1,
            "BackgroundVerticalGradientColor": None, "CallbackFtp": None, "CallbackUrl": t.callback_url,
            "ColorAdjustment": False, "ColorAdjustmentComment": "", "ColorAdjustmentSetting": "",
            "ColorMatchComment": "", "ColorMatching": False, "ColorMatchingSetting": "", "Comment": "",
            "CreatedDate": "2020-06-26", "DeliveryTimeInHours": t.delivery_hours, "Id": t.id,
            "IsCombinedImages": False, "IsDeleted": False, "IsKeptMannequin": False, "IsKeptModel": True,
            "MarginBottom": 0, "MarginLeft": 0, "MarginRight": 0, "MarginTop": 0, "MarginType": 1,
            "ModifiedDate": "2020-08-22", "Name": t.name, "OutputFormat": t.output_format, "Price": _price(t.price),
            "ResizeHeight": None, "ResizeMaxSize": None, "ResizeMinSize": None, "ResizeType": 6, "ResizeUnit": 0,
            "ResizeWidth": None, "ShadowType": 0, "VerticalAlignment": 2}  # fmt: skip
