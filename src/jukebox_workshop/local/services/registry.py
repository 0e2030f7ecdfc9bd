"""The local Model Registry as a platform service: `python -m jukebox_workshop.local.registry_server`.

Its database is `<state>/registry.db`. Started with a token (`jukebox up --registry-token`,
or JUKEBOX_REGISTRY_AUTH=1), it requires `Authorization: Bearer <token>` on its API; the token
is kept in `<state>/registry-token` (mode 0600) across restarts in that mode.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from jukebox_workshop.local import probe
from jukebox_workshop.local.service import Context, Port, Service, write_private
from jukebox_workshop.settings import LOOPBACK, REGISTRY_TOKEN_VARIABLE, REGISTRY_URL_VARIABLE

DATABASE = "registry.db"
TOKEN_FILE = "registry-token"


def token_file(state: Path) -> Path:
    return state / TOKEN_FILE


def url(context: Context) -> str:
    return f"http://{LOOPBACK}:{context.port('registry')}"


def wants_token(context: Context) -> bool:
    return bool(context.options.get("registry_token"))


def prepare_token(context: Context) -> None:
    """Keep the token file in token mode (a new token only if there is none), else remove it."""
    path = token_file(context.state)
    if not wants_token(context):
        path.unlink(missing_ok=True)
    elif not path.is_file() or not path.read_text(encoding="utf-8").strip():
        write_private(path, secrets.token_urlsafe(32))


def command(context: Context) -> list[str]:
    command = [sys.executable, "-m", "jukebox_workshop.local.registry_server", "--host", LOOPBACK]
    command += ["--port", str(context.port("registry"))]
    command += ["--database", str(context.state / DATABASE)]
    if wants_token(context):
        command += ["--token-file", str(token_file(context.state))]
    return command


def answers(context: Context) -> bool:
    return probe.answers(f"{url(context)}/healthz")


def environment(context: Context) -> dict[str, str]:
    variables = {REGISTRY_URL_VARIABLE: url(context)}
    with suppress(OSError):
        token = token_file(context.state).read_text(encoding="utf-8").strip()
        if token:
            variables[REGISTRY_TOKEN_VARIABLE] = token
    return variables


def conflict(record: Mapping[str, Any], context: Context) -> str | None:
    """A message when the running registry's token mode is not the one asked for."""
    wanted = context.options.get("registry_token")
    running = bool(record.get("options", {}).get("token"))
    if wanted is None or running == wanted:
        return None
    has = "with" if running else "without"
    again = "`jukebox up --registry-token`" if wanted else "`jukebox up`"
    return (
        f"The Model Registry is already running {has} a token. Stop the platform with "
        f"`make down`, then start it with {again}."
    )


SERVICE = Service(
    name="registry",
    title="Model Registry",
    ports=(Port("registry", "Model Registry", "JUKEBOX_REGISTRY_PORT", 8080),),
    command=command,
    url=url,
    ready=answers,
    environment=environment,
    stop_grace=10.0,
    data=(DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", TOKEN_FILE),
    prepare=prepare_token,
    options=lambda context: {"token": wants_token(context)},
    conflict=conflict,
)
