"""The FastAPI application: the Model Registry REST API on both prefixes, an HTML overview at
`/` and a readiness probe at `/healthz`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from jukebox_workshop.local.registry_server.api import api_router
from jukebox_workshop.local.registry_server.errors import install_error_handlers
from jukebox_workshop.local.registry_server.middleware import (
    BearerToken,
    BodyLimit,
    CatchAll,
    TrustedHosts,
)
from jukebox_workshop.local.registry_server.pages import pages_router
from jukebox_workshop.local.registry_server.responses import PREFIXES
from jukebox_workshop.local.registry_server.store import Store


def create_app(
    database_path: Path, allowed_hosts: Iterable[str], token: str | None = None
) -> FastAPI:
    """The registry app on the SQLite database at `database_path` (created if missing).

    Requests must name the server in their Host header as one of `allowed_hosts`
    (`middleware.loopback_hosts` gives the loopback names of a port). With a token, every
    request but `/healthz` must carry it as a bearer token. Raises `store.DatabaseOpenError`
    if the database cannot be opened.
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

    # The last one added is the outermost: hosts, then size, then token, then the catch-all.
    app.add_middleware(CatchAll)
    if token:
        app.add_middleware(BearerToken, token=token)
    app.add_middleware(BodyLimit)
    app.add_middleware(TrustedHosts, hosts=allowed_hosts)
    return app
