"""After a killed weed, its sockets in /tmp are removed, but never one another platform uses.

Several platforms on one machine can take the same ports one after another, and so the same
socket names in /tmp: a leftover name may already belong to a live server."""

from __future__ import annotations

import socket
from pathlib import Path

from support.local_platform import free_port

from jukebox_workshop.local.service import Context
from jukebox_workshop.local.services import s3


def test_only_abandoned_sockets_are_removed(tmp_path: Path) -> None:
    ports = {kind: free_port((10000,)) for kind in ("s3", "master", "volume", "filer")}
    context = Context(tmp_path, ports, {})
    live_path, abandoned_path = s3.leftover_sockets(context)[:2]
    assert not live_path.exists() and not abandoned_path.exists()
    with socket.socket(socket.AF_UNIX) as live, socket.socket(socket.AF_UNIX) as abandoned:
        live.bind(str(live_path))
        live.listen()
        abandoned.bind(str(abandoned_path))  # bound, never listening: as a killed server leaves it
        try:
            s3.remove_leftover_sockets(context)
            assert live_path.is_socket()  # another server's: kept
            assert not abandoned_path.exists()
        finally:
            live_path.unlink(missing_ok=True)
            abandoned_path.unlink(missing_ok=True)
