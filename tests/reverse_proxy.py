"""A reverse proxy in front of a local service, standing in for what sits there in a cluster.

OpenShift puts an auth proxy in front of the Model Registry: 401 for a token it does not
know, 403 for one without access. `ReverseProxy` does the same on 127.0.0.1, so tests can
meet those answers with the real client.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Headers that describe one connection, not the message: never forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "upgrade", "te"}


class ReverseProxy:
    """Forwards every request to `upstream` (http://host:port), on a free port of 127.0.0.1.

    tokens: act as the cluster's auth proxy: a request whose bearer token maps to True is
    forwarded, one mapping to False gets 403, any other (or none) 401. None: no check.
    Use as a context manager; `url` is its address.
    """

    def __init__(
        self,
        upstream: str,
        *,
        tokens: dict[str, bool] | None = None,
    ) -> None:
        self.upstream = urlsplit(upstream)
        self.tokens = tokens
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> ReverseProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def refusal(self, authorization: str | None) -> int | None:
        """The status the auth proxy answers instead of forwarding, or None to forward."""
        if self.tokens is None:
            return None
        scheme, _, token = (authorization or "").partition(" ")
        granted = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return None if granted else 403 if granted is False else 401

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                refused = proxy.refusal(self.headers.get("Authorization"))
                if refused:
                    self._answer(refused, [("Content-Type", "text/plain")], b"Forbidden\n")
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=30
                )
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    content = response.read()
                    kept = [
                        (k, v)
                        for k, v in response.getheaders()
                        if k.lower() not in HOP_BY_HOP | {"content-length"}
                    ]
                    length_header = response.getheader("Content-Length")
                    if self.command == "HEAD" and length_header is not None:
                        kept.append(("Content-Length", length_header))
                    self._answer(response.status, kept, content)
                finally:
                    upstream.close()

            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _forward  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        return Forward
