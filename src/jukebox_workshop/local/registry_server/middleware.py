"""The doors of the server: trusted Host names, a body size limit, the bearer token, and a
JSON 500 for anything unexpected that keeps the connection usable."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from urllib.parse import parse_qs

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jukebox_workshop.errors import JukeboxError
from jukebox_workshop.local.registry_server.errors import error_response

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
PAGE_COOKIE = "jukebox_registry"
OPEN_PATHS = ("/healthz",)


def loopback_hosts(host: str, port: int) -> set[str]:
    """The Host header values of a server on `host`:`port` reached through loopback."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host not in ("0.0.0.0", "::", ""):
        names.add(f"[{host}]" if ":" in host else host)
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts |= names
    return hosts


class TrustedHosts:
    """Answers 400 unless the Host header names this server (no DNS rebinding)."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = {host.lower() for host in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            if host not in self.hosts:
                message = (
                    f"Host {host!r} is not a name of this registry; use one of "
                    f"{', '.join(sorted(self.hosts))} (or start it with --allowed-host)"
                )
                await error_response(400, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyTooLarge(JukeboxError):
    """A request body over the limit (answered with 413)."""


class BodyLimit:
    """Answers 413 to a request body over `limit` bytes, without keeping it in memory."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_response(
            413, f"the request body is larger than {self.limit} bytes, the registry's limit"
        )
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            await too_large(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await too_large(scope, receive, send)


def page_cookie(token: str) -> str:
    return hmac.new(token.encode(), b"registry page", hashlib.sha256).hexdigest()


class BearerToken:
    """Requires `Authorization: Bearer <token>` on every request but the readiness probe.

    A browser opens the HTML page once as `/?token=<token>`: that sets a cookie (for the page
    only, never for the API) and redirects to `/`.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()
        self.cookie = page_cookie(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or self._bearer(scope):
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/":
            if self._page_cookie(scope):
                await self.app(scope, receive, send)
                return
            query = parse_qs(scope["query_string"].decode("latin-1"))
            if hmac.compare_digest(query.get("token", [""])[0].encode(), self.token):
                response = RedirectResponse("/", 303)
                response.set_cookie(PAGE_COOKIE, self.cookie, httponly=True, samesite="strict")
                await response(scope, receive, send)
                return
        header = dict(scope["headers"]).get(b"authorization")
        message = "missing or wrong bearer token" if header else "authorization required"
        if scope["path"] == "/":
            message += ": open /?token=<MODEL_REGISTRY_TOKEN> once to view this page"
        await error_response(401, message, {"WWW-Authenticate": "Bearer"})(scope, receive, send)

    def _bearer(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, credentials = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self.token)

    def _page_cookie(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"cookie", b"").decode("latin-1")
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == PAGE_COOKIE and hmac.compare_digest(value, self.cookie):
                return True
        return False


class CatchAll:
    """Turns an unexpected exception into a JSON 500 and does not re-raise it.

    Starlette's own last-resort handler re-raises after answering, and uvicorn then closes the
    connection: a client's next request on that keep-alive connection met ECONNRESET.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except BodyTooLarge:
            raise
        except Exception as exc:
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            if started:
                raise
            response = error_response(500, f"internal error: {type(exc).__name__}: {exc}")
            await response(scope, receive, send)
