"""Run the local Model Registry until SIGTERM or SIGINT.

    python -m jukebox_workshop.local.registry_server --host 127.0.0.1 --port 8080 --database PATH
        [--token-file PATH] [--allowed-host NAME:PORT ...]

Startup problems (port in use, unusable database or token file) end the process with status 1
and one line on stderr; the platform's process manager shows that line to the user.
"""

from __future__ import annotations

import argparse
import errno
import logging
import logging.config
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from jukebox_workshop.errors import JukeboxError
from jukebox_workshop.local.registry_server.app import create_app
from jukebox_workshop.local.registry_server.middleware import loopback_hosts
from jukebox_workshop.local.registry_server.store import DatabaseOpenError

log = logging.getLogger("jukebox_workshop.local.registry_server")

LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "jukebox_workshop": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


class StartupError(JukeboxError):
    """A problem that stops the server from starting, explained in one line."""


class Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises a captured signal after shutting down, so the process would die
        # "killed by SIGTERM"; a requested stop is a normal, successful exit here.
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m jukebox_workshop.local.registry_server",
        description="A local Kubeflow Model Registry (REST API v1alpha3 and v1) on SQLite.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    parser.add_argument(
        "--database", type=Path, required=True, help="SQLite file (created if missing)"
    )
    parser.add_argument(
        "--token-file", type=Path, help="file holding a token every request must send as Bearer"
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME:PORT",
        help="a Host header value to accept besides the loopback names of the port (repeatable)",
    )
    return parser.parse_args(argv)


def read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise StartupError(f"cannot read token file {path}: {exc}") from None
    if not token:
        raise StartupError(f"token file {path} is empty")
    return token


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket before starting uvicorn, to report a busy port in one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on connections whose socket does, and
    # without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"port {port} on {host} is already in use") from None
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.config.dictConfig(LOG_CONFIG)
    sock = None
    try:
        token = read_token(args.token_file) if args.token_file else None
        sock = bind(args.host, args.port)
        host, port = sock.getsockname()[:2]
        hosts = loopback_hosts(args.host, port) | set(args.allowed_host)
        app = create_app(args.database, hosts, token)
    except (StartupError, DatabaseOpenError) as exc:
        if sock is not None:
            sock.close()
        print(f"Model Registry: {exc}", file=sys.stderr)
        return 1
    log.info(
        "Model Registry on http://%s:%d (database %s, %s)",
        host,
        port,
        args.database,
        "token required" if token else "no token",
    )
    config = uvicorn.Config(app, log_config=LOG_CONFIG, timeout_graceful_shutdown=1)
    Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
