"""The manager's dashboard: a static page on the JSON API, served at `/` with its script, styles
and the vendored charting library under `/dashboard/`. It works offline: nothing is fetched
from elsewhere, and its content security policy says so to the browser."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

PAGES = Path(__file__).resolve().parent.parent / "dashboard"
# only this server's own files; the charts draw on canvas; inline styles are Chart.js' own
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard() -> FileResponse:
    return FileResponse(PAGES / "index.html", headers={"Content-Security-Policy": POLICY})


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/dashboard", StaticFiles(directory=PAGES), name="dashboard")
