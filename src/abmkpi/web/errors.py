"""One JSON error envelope for every API error.

Every error the API returns has this shape, whatever raised it::

    {"error": {"status": 422, "code": "invalid_request",
               "message": "…", "details": [{"field": "…", "problem": "…"}]}}

``code`` is a stable machine-readable word; ``message`` is a sentence for
people; ``details`` lists field-level problems when there are any.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from abmkpi.errors import (
    AbmkpiError,
    FieldError,
    NotFoundError,
    PeriodError,
    StoreBusyError,
    StoreError,
)
from abmkpi.web.redaction import loggable_path, without_emails

logger = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# The Retry-After of a 503 while another process has the workspace, in seconds.
BUSY_RETRY_SECONDS = 5


class ApiError(Exception):
    """An error the API returns in the envelope, with its HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.details = details or []
        self.headers = headers


def envelope(
    status: int, message: str, code: str | None = None, details: list[Any] | None = None
) -> dict[str, Any]:
    return {
        "error": {
            "status": status,
            "code": code or _CODES.get(status, "error"),
            "message": message,
            "details": details or [],
        }
    }


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(
        envelope(error.status, error.message, error.code, error.details),
        status_code=error.status,
        headers=error.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, answer in the envelope."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(
        request: Request, error: StarletteHTTPException
    ) -> JSONResponse:
        return error_response(
            ApiError(
                error.status_code,
                str(error.detail),
                headers=dict(error.headers) if error.headers else None,
            )
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(
        request: Request, error: RequestValidationError
    ) -> JSONResponse:
        details = [
            {
                "field": ".".join(str(part) for part in item["loc"]),
                "problem": item["msg"],
            }
            for item in error.errors()
        ]
        message = f"invalid request: {len(details)} problem(s)"
        return error_response(ApiError(422, message, details=details))

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, error: NotFoundError) -> JSONResponse:
        return error_response(ApiError(404, str(error)))

    @app.exception_handler(PeriodError)
    async def _period_error(request: Request, error: PeriodError) -> JSONResponse:
        return error_response(
            ApiError(
                422, str(error), details=[{"field": "period", "problem": str(error)}]
            )
        )

    @app.exception_handler(StoreError)
    async def _store_error(request: Request, error: StoreError) -> JSONResponse:
        # A failed statement is the server's fault. Its message (the table,
        # the statement, and any value the database quotes) goes to the log
        # only, with addresses masked.
        logger.error(
            "store error on %s %s: %s",
            request.method,
            loggable_path(request.url.path),
            without_emails(str(error)),
        )
        return error_response(ApiError(500, "internal error; see the server log"))

    @app.exception_handler(FieldError)
    async def _field_error(request: Request, error: FieldError) -> JSONResponse:
        field = f"body.{error.field}"
        return error_response(
            ApiError(
                422,
                f"invalid {field}: {error}",
                details=[{"field": field, "problem": str(error)}],
            )
        )

    @app.exception_handler(StoreBusyError)
    async def _store_busy(request: Request, error: StoreBusyError) -> JSONResponse:
        # Another process (an import) has the workspace open; no cached
        # number is served meanwhile, as it may be changing the data.
        return error_response(
            ApiError(
                503,
                str(error),
                headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
            )
        )

    @app.exception_handler(AbmkpiError)
    async def _abmkpi_error(request: Request, error: AbmkpiError) -> JSONResponse:
        return error_response(ApiError(400, str(error)))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # The traceback's frames, and the message with addresses masked.
        logger.error(
            "unhandled error on %s %s: %s\n%s",
            request.method,
            loggable_path(request.url.path),
            without_emails(f"{type(error).__name__}: {error}"),
            "".join(traceback.format_tb(error.__traceback__)).rstrip(),
        )
        return error_response(ApiError(500, "internal error; see the server log"))
