"""The sandbox's own endpoints: delivered files, and the `/_control` surface tests and demos drive.

Delivered files answer only at the signed link the API handed out (`?signature=…`, see `signing.py`):
image ids are sequential, so the bare path would let anyone read every account's results.

Control (every request needs the control token, see `easel.sandboxes.control_auth`):
`GET/POST /_control/clock`, `GET/POST/DELETE /_control/faults`, `POST /_control/tick` (progress images
and send due webhooks now), `GET /_control/images` (every image, and counts per customerImageId to prove
exactly-once), `POST /_control/images/{ticket}` `{"status": 90}` (force a status; 70 sends the webhook),
`GET /_control/webhooks` (delivery log), `GET /_control/uploads` (presigned objects, without their URLs).
"""

from __future__ import annotations

import json
from collections import Counter

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from easel.sandboxes.pixelz.errors import error_object
from easel.sandboxes.pixelz.files import FORMATS, render
from easel.sandboxes.pixelz.signing import SIGNATURE
from easel.sandboxes.pixelz.state import FINISHED, NOT_DOWNLOADED, STATUS_NAMES, PixelzSandbox


class Control:
    def __init__(self, sandbox: PixelzSandbox) -> None:
        self.sandbox = sandbox

    async def file(self, request: Request) -> Response:
        """A final or thumbnail file, once the image has reached the status that makes it exist."""
        self.sandbox.progress(self.sandbox.clock.now())
        p = request.path_params
        image = next((i for i in self.sandbox.images.values() if i.id == p["image_id"]), None)
        kind = p["kind"]
        ready = image is not None and (
            image.status in FINISHED if kind == "final" else image.status not in NOT_DOWNLOADED
        )
        path = f"/{p['contact_id']}/{p['image_id']}/{kind}/{p['name']}"
        signed = self.sandbox.signer.valid("GET", path, request.query_params.get(SIGNATURE))
        if image is None or not signed or image.file_path(kind) != path:
            return error_object("AccessDenied", "This file link is not valid.", 403)
        if not ready:
            return error_object("FileNotReady", "The file does not exist yet.", 404)
        output = image.template.output_format
        content = render(self.sandbox.file_seed(image), output, thumbnail=kind == "thumbnail")
        return Response(content, media_type=FORMATS[output].media_type)

    async def tick(self, request: Request) -> Response:
        await self.sandbox.tick()
        return JSONResponse({"now": self.sandbox.clock.now().isoformat()})

    async def images(self, request: Request) -> Response:
        self.sandbox.progress(self.sandbox.clock.now())
        images = list(self.sandbox.images.values())
        counts = Counter(i.customer_image_id for i in images if i.customer_image_id is not None)
        rows = [
            {"ticket": i.ticket, "id": i.id, "contactEmail": i.account.email, "customerImageId": i.customer_image_id,
             "templateId": i.template.id, "status": i.status, "statusName": STATUS_NAMES[i.status],
             "imageURL": i.image_url, "callbackURL": i.callback_url, "webhooksQueued": i.webhooks,
             "kind": i.kind, "stack": i.stack, "productId": i.product_id, "colorwayIds": list(i.colorways)}
            for i in images
        ]  # fmt: skip
        return JSONResponse({"images": rows, "countsByCustomerImageId": dict(counts)})

    async def force(self, request: Request) -> Response:
        image = self.sandbox.images.get(str(request.path_params["ticket"]).lower())
        if image is None:
            return JSONResponse({"error": "no such image"}, 404)
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        status = body.get("status") if isinstance(body, dict) else None
        if not isinstance(status, int) or status not in STATUS_NAMES:
            return JSONResponse({"error": f"status must be one of {sorted(STATUS_NAMES)}"}, 400)
        self.sandbox.progress(self.sandbox.clock.now())
        self.sandbox.force(image, status)
        return JSONResponse(self.sandbox.status_json(image))

    async def uploads(self, request: Request) -> Response:
        return JSONResponse({"uploads": self.sandbox.uploads.view(), "bytes": self.sandbox.uploads.stored_bytes()})

    async def webhooks(self, request: Request) -> Response:
        sender = self.sandbox.webhooks
        return JSONResponse({"pending": sender.pending, "deliveries": sender.deliveries})
