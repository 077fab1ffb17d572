"""Errors as application/problem+json (RFC 9457), naming the offending field."""

from __future__ import annotations

import logging
import re
from typing import Any

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from api.responses import JSONResponse
from domain.claims import ClaimRefused
from domain.errors import DomainError, InvalidValue, NotAllowedNow, NotFound
from store.database import LOST, DatabaseUnavailable

log = logging.getLogger("salesledger.api")
RETRY_AFTER_SECONDS = 2
# The store or the read models cannot be reached: the request did nothing, it may be retried.
UNAVAILABLE: tuple[type[Exception], ...] = (
    DatabaseUnavailable, *LOST, StoreOperationalError, StoreInterfaceError,
)  # fmt: skip
PROBLEM_TYPE = "https://salesledger.dev/problems/"


class Problem(BaseModel):
    """An error (RFC 9457 problem details), answered as application/problem+json."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = Field(
        None, description="the fields at fault: [{field, message}]"
    )
    rule: str | None = Field(None, description="a refused claim: the claim policy's rule")
    available_at: str | None = Field(None, description="a refused claim: when it becomes possible")


def _answer(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description,
            "content": {"application/problem+json": {}}}  # fmt: skip


# Every route may answer these (documented in the OpenAPI document, each a problem+json body).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _answer("no bearer token, or one that is unknown, expired or revoked"),
    403: _answer("outside the caller's role or team"),
    404: _answer("no such record"),
    409: _answer("a business rule or the record's state refuses it now (If-Match, claims)"),
    422: _answer("invalid input, naming the field"),
    503: _answer("the database is unavailable for a moment: retry after Retry-After"),
}


class ApiProblem(Exception):
    """An error the API raises itself: not authenticated, not allowed, bad header."""

    def __init__(self, status: int, title: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem document; `extensions` are further members (RFC 9457 §3.2)."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        **extensions,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location]
    if len(parts) == 2 and parts[0] == "header":  # "if-match" → "If-Match", as the contract has it
        return "-".join(word.capitalize() for word in parts[1].replace("_", "-").split("-"))
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _methods_of(request: Request) -> set[str]:
    """Every method the document gives the request's path: a framework's 405 names only those
    of one route (Starlette's the first matching the path: PUT of /pipelines/{p}, not its GET;
    FastAPI's included routers none at all)."""
    path = request.scope["path"]
    return {method for pattern, methods in _documented_methods(request.app)
            if pattern.fullmatch(path) for method in methods}  # fmt: skip


def _documented_methods(app: FastAPI) -> list[tuple[re.Pattern[str], set[str]]]:
    table = getattr(app.state, "documented_methods", None)
    if table is None:  # the document is complete once the first request is served
        table = [(compile_path(path)[0], _with_head({m.upper() for m in operations}))
                 for path, operations in app.openapi()["paths"].items()]  # fmt: skip
        app.state.documented_methods = table
    return table


def _with_head(methods: set[str]) -> set[str]:
    return methods | {"HEAD"} if "GET" in methods else methods


def _domain_status(error: DomainError) -> tuple[int, str]:
    if isinstance(error, NotFound):
        return 404, "Not Found"
    if isinstance(error, InvalidValue):
        return 422, "Invalid Value"
    if isinstance(error, NotAllowedNow):
        return 409, "Conflict"
    return 422, "Rule Violated"


def _extensions(error: DomainError) -> dict[str, Any]:
    """What a refusal adds: a refused claim names the rule and when the claim becomes possible."""
    if isinstance(error, ClaimRefused):
        available = None if error.available_at is None else error.available_at.isoformat()
        return {"rule": error.rule, "available_at": available}
    return {}


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_of(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return problem(422, "Invalid Request", detail, errors)

    @app.exception_handler(DomainError)
    async def rule_broken(_: Request, exc: DomainError) -> JSONResponse:
        status, title = _domain_status(exc)
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
        return problem(status, title, exc.message, errors, **_extensions(exc))

    @app.exception_handler(ApiProblem)
    async def api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(exc.status, exc.title, exc.detail, errors, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # not UTF-8, or nested past what the JSON parser takes: invalid input like any other
            detail = "the body is not valid JSON (UTF-8 text, nested at most a few hundred deep)"
            return problem(422, "Invalid Request", detail, [{"field": "body", "message": detail}])
        headers = exc.headers
        if exc.status_code == 405 and (methods := _methods_of(request)):
            headers = {**(headers or {}), "Allow": ", ".join(sorted(methods))}
        return problem(exc.status_code, str(exc.detail), str(exc.detail), headers=headers)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        detail = "the database is unavailable for a moment; retry shortly"
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return problem(503, "Service Unavailable", detail, headers=retry)

    for lost in UNAVAILABLE:
        app.add_exception_handler(lost, unavailable)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "Internal Error", "an unexpected error occurred; it has been logged")
