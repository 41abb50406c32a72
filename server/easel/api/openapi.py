"""OpenAPI 3.1 for the order API, generated from the endpoint table and the pydantic models that
validate requests, so the spec cannot drift from what the server accepts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic.json_schema import models_json_schema

from .errors import ERROR_CODES

if TYPE_CHECKING:
    from .routes import Endpoint

_AUTH_PROPERTIES = {
    "username": {"type": "string", "description": "Your API username."},
    "signature": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$",
                  "description": "hash_hmac('sha256', uri . json_encode(data without signature, username last), "
                                 "secret), as the document's signRequest."},
}
_ERROR = {
    "type": "object",
    "required": ["error_code", "error"],
    "properties": {
        "error_code": {"type": "integer", "enum": [e.code for e in ERROR_CODES]},
        "error": {"type": "object", "required": ["short_message", "long_message"],
                  "properties": {"short_message": {"type": "string"}, "long_message": {"type": "string"}}},
    },
}
_QUERY_HELP = {"start": "The starting index (default 0).", "rows": "Number of results (default 20, at most 100)."}


def build_openapi(endpoints: Sequence[Endpoint], server: str) -> dict[str, Any]:
    models = {e.body for e in endpoints if e.body is not None}
    _, schemas = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                    ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = dict(schemas.get("$defs", {}))
    components["Error"] = _ERROR
    for model in models:
        # The body as sent: the model's fields plus the signature (the models forbid unknown fields).
        base = components[model.__name__]
        components[f"Signed{model.__name__}"] = {
            **base, "title": f"Signed{model.__name__}",
            "properties": {**base.get("properties", {}), **_AUTH_PROPERTIES},
            "required": [*base.get("required", []), "username", "signature"],
        }
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        path = "/".join("{" + p[1:] + "}" if p.startswith(":") else p for p in e.path.split("/"))
        operation: dict[str, Any] = {"summary": e.summary, "operationId": f"{e.method.lower()}{path}"}
        params = [{"name": p[1:], "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1} if p == ":id" else {"type": "string"}}
                  for p in e.path.split("/") if p.startswith(":")]
        if e.signed and e.method in ("GET", "DELETE"):
            params += [{"name": n, "in": "query", "required": True, "schema": _AUTH_PROPERTIES[n]}
                       for n in ("username", "signature")]
        params += [{"name": q, "in": "query", "required": False, "description": _QUERY_HELP.get(q, ""),
                    "schema": {"type": "integer", "minimum": 0}} for q in e.query]
        if params:
            operation["parameters"] = params
        if e.body is not None or (e.signed and e.method in ("POST", "PUT")):
            if e.body is not None:
                signed_body: dict[str, Any] = {"$ref": f"#/components/schemas/Signed{e.body.__name__}"}
            else:
                signed_body = {"type": "object", "required": ["username", "signature"], "properties": _AUTH_PROPERTIES}
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": signed_body},
                "application/x-www-form-urlencoded": {"schema": signed_body}}}
        responses: dict[str, Any] = {}
        for status in e.statuses:
            if status < 400:
                responses[str(status)] = {"description": "OK" if status == 200 else "Created",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}
        for status in sorted({c.status for c in ERROR_CODES if e.signed or c.code in (100, 101, 102, 404)}):
            responses.setdefault(str(status), {
                "description": "; ".join(f"{c.code} {c.short_message}" for c in ERROR_CODES if c.status == status),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
        operation["responses"] = responses
        paths.setdefault(path, {})[e.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "easel: Image2ART-compatible order API", "version": "1.0-beta",
                 "description": "Signed with HMAC-SHA256 as the Image2ART document's signRequest. See GET /."},
        "servers": [{"url": server}],
        "paths": paths,
        "components": {"schemas": components},
    }
