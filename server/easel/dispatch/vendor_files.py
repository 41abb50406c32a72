"""Print masters for vendors: the file behind ``/vendor-files/{code}/{token}.{ext}``.

Vendors fetch what they print from a URL; masters are full resolution, so each URL carries a token
derived from the server key per artwork (nobody can list or guess them) and is handed only to vendors.
"""

from __future__ import annotations

import hmac

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from ..storage import catalog as catalog_store
from ..web.state import runtime_of


async def serve_master(request: Request) -> Response:
    runtime = runtime_of(request)
    code = str(request.path_params["code"]).upper()
    token = str(request.path_params["name"]).split(".", 1)[0]
    if not hmac.compare_digest(token.encode(), runtime.dispatch.file_token(code).encode()):
        return PlainTextResponse("Not Found", 404)
    async with runtime.engine.connect() as conn:
        artwork = await catalog_store.artwork_by_code(conn, code)
    if artwork is None or artwork.image.startswith(("http://", "https://")) or not await anyio.Path(
            artwork.image).is_file():
        return PlainTextResponse("Not Found", 404)
    return FileResponse(artwork.image, headers={"Cache-Control": "private, max-age=86400"})
