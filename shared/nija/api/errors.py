"""The one map from errors to HTTP: by type, never by message text.

Every error body is {"error": {"code": "...", "message": "..."}} (plus "field" when one is to blame).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nija.domain.errors import (
    BrokerError,
    BrokerTemporaryError,
    Conflict,
    Forbidden,
    InvalidInput,
    NijaError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)

STATUS_BY_TYPE: tuple[tuple[type[NijaError], int], ...] = (
    (InvalidInput, 422),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (ServiceUnavailable, 503),
    (BrokerTemporaryError, 503),  # the broker is down or rate-limits us: try again later
    (BrokerError, 502),  # any other answer a broker gave that we cannot act on
)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def status_of(exc: NijaError) -> int:
    for kind, status in STATUS_BY_TYPE:
        if isinstance(exc, kind):
            return status
    return 500


def error_response(
    status: int, code: str, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return JSONResponse({"error": body}, status_code=status, headers=headers)


async def _nija_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NijaError)
    status = status_of(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if status == 500:
        return error_response(500, "internal_error", "internal error")
    return error_response(status, exc.code, exc.message, field=getattr(exc, "field", None), headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"msg": "invalid request", "loc": ()}
    if first.get("type") == "json_invalid":
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    field = _field(first.get("loc", ()))
    if first.get("type") == "missing" and not field:
        return error_response(422, "invalid_input", "a JSON body is required")
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    return error_response(
        422, "invalid_input", f"{field}: {message}" if field else message, field=field or None
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NijaError, _nija_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    from aws_lambda_powertools import Logger

    Logger(child=True).exception("unhandled error", extra={"error_type": type(exc).__name__})
    return error_response(500, "internal_error", "internal error")
