"""The catalogue: a grid with search and thumbnails, one artwork's page, adding one with an image,
importing a CSV/JSON-lines file with its per-row report, exporting.

The catalogue is this easel's, shared by every merchant (``services/catalogue_desk.py``): owners and
staff see and export it; changing it is the operator's, since an edit made by one shop would change
every other shop's widget. Each shop chooses what it shows: its owner and staff hide an artwork from their
own shop (``visibility``, a button on the grid and on the artwork's page); the operator hides one from
every shop (the artwork's edit form, or the ``hidden`` column of an import).
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from ...domain.catalog import CODE_PATTERN, Artwork, ArtworkError
from ...services.catalog_files import CatalogFileError
from ...services.catalogue_desk import EDITABLE, CatalogueDesk, UploadTooLarge
from ...services.users import OPERATOR, OWNER, STAFF
from ...storage.catalog import VISIBILITIES
from ...widget.payloads import thumb_url
from ..auth import Visitor, merchant_of, safe_next, signed_in
from ..context import host_widget_state, panel_of
from ..forms import posted, printable
from ..pages import render
from .catalogue_import import import_page, running_imports

READERS = (OWNER, STAFF, OPERATOR)
EDITORS = (OPERATOR,)
SHOPS = (OWNER, STAFF)
THUMBS = "/widget/v1/"
FORMATS = ("csv", "jsonl")


def _desk(request: Request) -> CatalogueDesk:
    widget = host_widget_state(request)
    return CatalogueDesk(panel_of(request).runtime, on_change=widget.forget if widget is not None else None)


def _thumb(artwork: Artwork, width: int = 240) -> str:
    return thumb_url(THUMBS, artwork, width)


def _shop(visitor: Visitor) -> int | None:
    """The merchant whose shop the visitor sees the catalogue as (None: the operator, every shop)."""
    return merchant_of(visitor).id if visitor.role in SHOPS else None


async def _shop_hidden(request: Request, visitor: Visitor) -> frozenset[str]:
    shop = _shop(visitor)
    return frozenset() if shop is None else await _desk(request).hidden_by_shop(shop)


async def _grid(request: Request, visitor: Visitor, status: int = 200, **extra: object) -> Response:
    query = request.query_params.get("q", "").strip()[:200]
    if not printable(query):
        query = ""
    raw_page = request.query_params.get("page", "")
    page = max(1, int(raw_page)) if raw_page.isdigit() and len(raw_page) < 7 else 1
    show = request.query_params.get("show", "all")
    show = show if show in VISIBILITIES else "all"
    size = panel_of(request).runtime.settings.admin_page_size
    found, total = await _desk(request).search(query, page, size, shop=_shop(visitor), visibility=show)
    pages = max(1, -(-total // size))
    filters = {**({"q": query} if query else {}), **({"show": show} if show != "all" else {})}

    def link(n: int) -> str:
        return "/admin/catalogue?" + urlencode({**filters, "page": n})

    here = "/admin/catalogue" + (f"?{urlencode({**filters, 'page': page})}" if filters or page > 1 else "")
    return render(request, visitor, "catalogue.html", status=status, artworks=found, total=total, page=page,
                  pages=pages, link=link, query=query, thumb=_thumb, editor=visitor.role in EDITORS,
                  show=show, visibilities=VISIBILITIES, shop_hidden=await _shop_hidden(request, visitor),
                  shop=visitor.role in SHOPS, here=here,
                  substrate_codes=[s.code for s in panel_of(request).runtime.tables.substrates],
                  **{"add_errors": [], "import_errors": [], "fields": {}, **extra})


@signed_in(*READERS)
async def catalogue(request: Request, visitor: Visitor) -> Response:
    return await _grid(request, visitor)


async def _artwork(request: Request) -> Artwork:
    code = str(request.path_params["code"]).upper()
    found = await _desk(request).get(code) if CODE_PATTERN.match(code) else None
    if found is None:
        raise HTTPException(404)
    return found


@signed_in(*READERS)
async def artwork_page(request: Request, visitor: Visitor) -> Response:
    """One artwork; the operator edits it here (words and substrates; its image and size stay)."""
    artwork = await _artwork(request)
    values = {"title": artwork.title, "artist": artwork.artist, "description": artwork.description,
              "substrates": ",".join(artwork.substrates), "hidden": "true" if artwork.hidden else ""}
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if visitor.role not in EDITORS:
            raise HTTPException(403, "The catalogue is shared by every shop of this easel; its operator changes it.")
        form = await posted(request, visitor.session)
        values = {k: form.get(k, "").strip() for k in EDITABLE if k != "substrates"}
        values["substrates"] = await _substrates(request)
        values["hidden"] = "true" if form.get("hidden") else "false"
        try:
            await _desk(request).edit(artwork.code, values)
        except ArtworkError as err:
            errors, status = str(err).split("; "), 400
        else:
            return RedirectResponse(f"/admin/catalogue/{artwork.code}?done=saved", status_code=303)
    notice = _NOTICES.get(request.query_params.get("done", ""), "")
    return render(request, visitor, "artwork.html", status=status, artwork=artwork, values=values, errors=errors,
                  notice=notice, thumb=_thumb, editor=visitor.role in EDITORS, shop=visitor.role in SHOPS,
                  shop_hidden=await _shop_hidden(request, visitor),
                  substrates=[s.code for s in panel_of(request).runtime.tables.substrates])


_NOTICES = {"saved": "The artwork was saved.", "hidden": "The artwork is hidden from your shop.",
            "shown": "The artwork is shown in your shop."}


@signed_in(*SHOPS)
async def visibility(request: Request, visitor: Visitor) -> Response:
    """Hide an artwork from the visitor's own shop, or show it again (``hidden`` = 1 or 0); back to ``back``
    (a page of the catalogue only), the artwork's page by default."""
    form = await posted(request, visitor.session)
    code = str(request.path_params["code"]).upper()
    hidden = form.get("hidden", "")
    if hidden not in ("0", "1"):
        raise HTTPException(400, "hidden must be 1 (hide the artwork from your shop) or 0 (show it).")
    if not CODE_PATTERN.match(code) or not await _desk(request).hide_in_shop(merchant_of(visitor).id, code,
                                                                             hidden == "1"):
        raise HTTPException(404)
    back = safe_next(form.get("back", ""))
    if not back.startswith("/admin/catalogue"):
        back = f"/admin/catalogue/{code}"
    done = "hidden" if hidden == "1" else "shown"
    return RedirectResponse(f"{back}?done={done}" if back == f"/admin/catalogue/{code}" else back, status_code=303)


async def _substrates(request: Request) -> str:
    """The ticked substrate boxes (``substrate`` once per box), as the import's ``substrates`` column."""
    return ",".join(v for v in (await request.form()).getlist("substrate") if isinstance(v, str))


def _upload(form: FormData, name: str) -> UploadFile | None:
    found = form.get(name)
    return found if isinstance(found, UploadFile) and found.filename else None


@signed_in(*EDITORS)
async def add(request: Request, visitor: Visitor) -> Response:
    """A new artwork from an uploaded image, by ``easel catalog import``'s rules."""
    try:
        return await _add(request, visitor)
    finally:
        await (await request.form()).close()  # the upload's spooled file, now


async def _add(request: Request, visitor: Visitor) -> Response:
    form = await posted(request, visitor.session)
    image = _upload(await request.form(), "image")
    fields = {k: form.get(k, "").strip() for k in ("code", "title", "artist", "description")}
    fields["substrates"] = await _substrates(request)
    if image is None:
        return await _grid(request, visitor, 400, add_errors=["Choose the artwork's image file."], fields=fields)
    try:
        report = await _desk(request).add(fields, image.file)
    except (ArtworkError, UploadTooLarge) as err:
        return await _grid(request, visitor, 400, add_errors=[str(err)], fields=fields)
    if report.rejected:
        return await _grid(request, visitor, 400, add_errors=[r[2] for r in report.rejected], fields=fields)
    return RedirectResponse(f"/admin/catalogue/{fields['code'].upper()}?done=saved", status_code=303)


@signed_in(*EDITORS)
async def import_file(request: Request, visitor: Visitor) -> Response:
    """A CSV or JSON-lines file: refused at once when it cannot be read (nothing is imported); else the
    answer is the import's page, sent as the import goes (``catalogue_import``), ending with its report."""
    try:
        return await _import_file(request, visitor)
    finally:
        await (await request.form()).close()  # the upload's spooled file; the import works on its own copy


async def _import_file(request: Request, visitor: Visitor) -> Response:
    form = await posted(request, visitor.session)
    upload = _upload(await request.form(), "file")
    if upload is None:
        return await _grid(request, visitor, 400, import_errors=["Choose a CSV or JSON-lines file."])
    fmt = form.get("format", "")
    if not fmt:
        name = (upload.filename or "").lower()
        fmt = "jsonl" if name.endswith((".jsonl", ".ndjson", ".json")) else "csv"
    if fmt not in FORMATS:
        return await _grid(request, visitor, 400, import_errors=["The format is csv or jsonl."])
    imports = running_imports(request)
    if imports.full:
        raise HTTPException(429, f"{imports.limit} catalogue imports are running (EASEL_ADMIN_IMPORTS_AT_ONCE); "
                                 "send this file again when one has ended.", headers={"Retry-After": "30"})
    desk = _desk(request)
    try:
        staged = await desk.stage_import(upload.file, fmt)
    except (CatalogFileError, UploadTooLarge) as err:
        return await _grid(request, visitor, 400, import_errors=[f"Nothing was imported: {err}."])
    return import_page(request, visitor, desk, staged, imports, upload.filename or f"catalogue.{fmt}")


@signed_in(*READERS)
async def export(request: Request, visitor: Visitor) -> Response:
    fmt = request.query_params.get("format", "csv")
    if fmt not in FORMATS:
        raise HTTPException(400, "The format is csv or jsonl.")
    rows = await _desk(request).export(fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
    return StreamingResponse(rows, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="catalogue.{fmt}"', "Cache-Control": "no-store"})
