"""The FastAPI application: the Model Registry REST API on both prefixes, an HTML overview at
`/` and a readiness probe at `/healthz`."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from .api import api_router
from .errors import error_response, install_error_handlers
from .pages import pages_router
from .responses import PREFIXES
from .store import Store


class BearerTokenMiddleware:
    """Requires `Authorization: Bearer <token>` on every request under /api/."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            header = dict(scope["headers"]).get(b"authorization", b"")
            scheme, _, credentials = header.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(
                credentials.strip(), self.token
            ):
                message = "missing or wrong bearer token" if header else "authorization required"
                response = error_response(401, message, {"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(database_path: Path, token: str | None = None) -> FastAPI:
    """The registry app on the SQLite database at `database_path` (created if missing).

    With a token, every API request must carry it as a bearer token; `/` and `/healthz` stay
    open. Raises `store.DatabaseOpenError` if the database cannot be opened.
    """
    store = Store(database_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="Jukebox local Model Registry",
        lifespan=lifespan,
        openapi_url=None,  # the real specs are the reference; FastAPI's would mislead
    )
    app.state.store = store
    install_error_handlers(app)
    for api_version in PREFIXES:
        app.include_router(api_router(api_version))
    app.include_router(pages_router())

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if token:
        app.add_middleware(BearerTokenMiddleware, token=token)
    return app
