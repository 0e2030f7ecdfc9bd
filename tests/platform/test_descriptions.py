"""A service is a description: the platform starts, checks, shows, stops and cleans any service
it is given the same way, optional ones and ones that need another included.

These tests give the platform two small HTTP servers (Python's http.server) instead of the
real services, so that they run in a second.
"""

from __future__ import annotations

import dataclasses
import socket
import sys
import urllib.request

import pytest
from support.local_platform import free_port, held

from jukebox_workshop.errors import PlatformError
from jukebox_workshop.local import lifecycle
from jukebox_workshop.local.service import Context, Port, Service
from jukebox_workshop.settings import state_dir

pytestmark = pytest.mark.platform


def http_server(name: str, **changes) -> Service:
    """A description of `python -m http.server` serving `<state>/<name>/`."""
    key = f"test-{name}"

    def url(context: Context) -> str:
        return f"http://127.0.0.1:{context.port(key)}"

    def answers(context: Context) -> bool:
        try:
            with urllib.request.urlopen(url(context) + "/", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def prepare(context: Context) -> None:
        folder = context.state / name
        folder.mkdir(exist_ok=True)
        (folder / "index.html").write_text(f"I am {name}")

    return Service(
        name=name,
        title=f"Test {name}",
        ports=(Port(key, f"{name} HTTP", f"JUKEBOX_TEST_{name.upper()}_PORT", free_port()),),
        command=lambda context: [
            sys.executable,
            *("-m", "http.server", str(context.port(key))),
            *("--bind", "127.0.0.1", "--directory", str(context.state / name)),
        ],
        url=url,
        ready=answers,
        environment=lambda context: {f"{name.upper()}_URL": url(context)},
        stop_grace=2,
        data=(name,),
        prepare=prepare,
        **changes,
    )


@pytest.fixture
def services(isolated, monkeypatch: pytest.MonkeyPatch) -> dict[str, Service]:
    """The platform with only the test servers: "web", and an optional "api" that needs it."""
    described = {
        "web": http_server("web"),
        "api": http_server("api", optional=True, needs=("web",)),
    }
    monkeypatch.setattr(lifecycle, "SERVICES", described)
    return described


def body(url: str) -> str:
    with urllib.request.urlopen(url + "/", timeout=2) as response:
        return response.read().decode()


def test_the_default_start_leaves_out_optional_services(services) -> None:
    assert lifecycle.start() == ["web"]
    shown = {service.name: service for service in lifecycle.status()}
    assert shown["web"].running and shown["web"].answering and not shown["api"].running
    assert shown["api"].optional
    assert body(shown["web"].url) == "I am web"
    assert lifecycle.is_running()  # the optional service is not needed for that
    assert lifecycle.environment() == {"WEB_URL": shown["web"].url}
    assert lifecycle.stop() == ["web"]


def test_an_optional_service_starts_with_what_it_needs(services) -> None:
    assert lifecycle.start(["api"]) == ["web", "api"]
    shown = {service.name: service for service in lifecycle.status()}
    assert body(shown["api"].url) == "I am api"
    assert set(lifecycle.environment()) == {"WEB_URL", "API_URL"}
    assert lifecycle.start(["api"]) == []  # both running: nothing to do
    assert sorted(lifecycle.stop()) == ["api", "web"]
    assert not any(service.running for service in lifecycle.status())


def test_a_busy_default_moves_the_port_and_it_is_remembered(services) -> None:
    web = services["web"]
    default = web.ports[0].default
    with held(default):
        lifecycle.start()
        (shown,) = [service for service in lifecycle.status() if service.name == "web"]
    assert shown.url != f"http://127.0.0.1:{default}"
    moved = shown.ports[0]
    assert moved.number != default and moved.describe().endswith(f"(instead of {default})")
    lifecycle.stop()
    lifecycle.start()  # the default is free again, but the address stays the same
    assert lifecycle.environment()["WEB_URL"] == shown.url
    lifecycle.stop()


def test_clean_removes_what_a_stopped_service_left(services) -> None:
    lifecycle.start()
    with pytest.raises(PlatformError, match="The Test web is still running: stop the platform"):
        lifecycle.clean()
    lifecycle.stop()
    left = lifecycle.leftovers()
    assert state_dir() / "web" in left and state_dir() / "logs" / "web.log" in left
    assert lifecycle.clean() == left
    assert not (state_dir() / "web").exists() and lifecycle.leftovers() == []
    assert "test-web" not in lifecycle.ports.remembered()


def test_a_missing_program_stops_the_start_before_anything_runs(services, monkeypatch) -> None:
    def missing(context: Context) -> list[str]:
        raise PlatformError("The test program is missing: install it.")

    services["api"] = dataclasses.replace(services["api"], command=missing)
    with pytest.raises(PlatformError, match="The test program is missing"):
        lifecycle.start(["api"])
    assert not any(service.running for service in lifecycle.status())


def test_an_unknown_service(services) -> None:
    with pytest.raises(PlatformError, match="There is no service 'nope' in the local platform"):
        lifecycle.start(["nope"])


def test_a_port_taken_between_choice_and_start_is_chosen_again(services) -> None:
    """Another program binds the chosen port before the service does (two platforms starting
    at once): the service exits, and the start chooses again."""
    taken: list[socket.socket] = []
    web = services["web"]

    def take_the_port_once(context: Context) -> None:
        web.prepare(context)
        if not taken:
            thief = socket.socket()
            thief.bind(("127.0.0.1", context.port("test-web")))
            thief.listen()
            taken.append(thief)

    services["web"] = dataclasses.replace(web, prepare=take_the_port_once)
    try:
        assert lifecycle.start() == ["web"]
        (web,) = [service for service in lifecycle.status() if service.name == "web"]
        assert web.answering and web.ports[0].number != taken[0].getsockname()[1]
    finally:
        for thief in taken:
            thief.close()


def test_a_port_named_by_its_variable_is_not_chosen_again(services, monkeypatch) -> None:
    web = services["web"]
    monkeypatch.setenv(web.ports[0].variable, str(web.ports[0].default))

    def take_the_port(context: Context) -> None:
        thief.bind(("127.0.0.1", context.port("test-web")))
        thief.listen()

    services["web"] = dataclasses.replace(web, prepare=take_the_port)
    with socket.socket() as thief, pytest.raises(PlatformError, match="stopped while starting"):
        lifecycle.start()


def test_make_up_starts_the_feature_server_once_its_repository_is_applied(
    tmp_path, monkeypatch
) -> None:
    from jukebox_workshop.local import lifecycle
    from jukebox_workshop.local.services import feature_server

    repo = tmp_path / "feature_repo"
    repo.mkdir()
    (repo / "feature_store.yaml").write_text("project: p\nregistry: data/registry.db\n")
    monkeypatch.setenv("JUKEBOX_FEATURE_REPO", str(repo))
    assert "feature-server" not in lifecycle.started_by_up()
    assert "model-server" not in lifecycle.started_by_up()

    feature_server.registry_file(repo).parent.mkdir()
    feature_server.registry_file(repo).write_bytes(b"applied")
    assert lifecycle.started_by_up() == [
        name for name in lifecycle.SERVICES if name != "model-server"
    ]
