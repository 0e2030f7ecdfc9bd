"""How the platform chooses its ports: explicit ones or errors, else remembered, default, next free."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from support.local_platform import free_port, held

from jukebox_workshop.errors import PlatformError, PortInUseError
from jukebox_workshop.local import ports
from jukebox_workshop.local.service import Port

GRPC = (("gRPC", 10000),)


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUKEBOX_STATE_DIR", str(tmp_path))
    for variable in ("JUKEBOX_TEST_A_PORT", "JUKEBOX_TEST_B_PORT"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def is_free(number: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", number))
        except OSError:
            return False
    return True


def port(key: str = "a", twins=(), default: int | None = None) -> Port:
    """A port description whose default and the next few ports are free, with their twins."""
    offsets = tuple(offset for _, offset in twins)
    while default is None:
        candidate = free_port(offsets)
        numbers = [candidate + step + offset for step in range(8) for offset in (0, *offsets)]
        default = candidate if all(is_free(number) for number in numbers) else None
    return Port(key, f"test {key}", f"JUKEBOX_TEST_{key.upper()}_PORT", default, twins)


def test_the_default_when_it_is_free() -> None:
    a = port()
    assert ports.choose([a], []) == {"a": a.default}


def test_the_next_free_port_when_the_default_is_busy() -> None:
    a = port()
    with held(a.default):
        assert ports.choose([a], []) == {"a": a.default + 1}


def test_a_busy_twin_moves_the_port_too() -> None:
    a = port(twins=GRPC)
    with held(a.default + 10000):
        assert ports.choose([a], []) == {"a": a.default + 1}


def test_two_services_never_get_the_same_port() -> None:
    a = port("a")
    b = Port("b", "test b", "JUKEBOX_TEST_B_PORT", a.default)  # the same default
    assert ports.choose([a, b], []) == {"a": a.default, "b": a.default + 1}


def test_ports_of_running_services_are_not_chosen() -> None:
    a = port("a")
    running = Port("b", "test b", "JUKEBOX_TEST_B_PORT", 1)
    assert ports.choose([a], [(running, a.default)]) == {"a": a.default + 1}


def test_the_remembered_port_comes_first(state: Path) -> None:
    a = port()
    ports.remember({"a": a.default + 5})
    assert ports.choose([a], []) == {"a": a.default + 5}
    with held(a.default + 5):  # busy now: back to the default
        assert ports.choose([a], []) == {"a": a.default}
    assert (state / "ports.json").is_file()


def test_remember_and_forget() -> None:
    ports.remember({"a": 1000, "b": 2000})
    ports.remember({"b": 2001})
    assert ports.remembered() == {"a": 1000, "b": 2001}
    ports.forget(["a"])
    assert ports.remembered() == {"b": 2001}
    ports.forget(["b"])
    assert not ports.ports_file().exists()


def test_an_explicit_port_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    a = port()
    chosen = free_port()
    monkeypatch.setenv(a.variable, str(chosen))
    assert ports.choose([a], []) == {"a": chosen}
    assert ports.planned(a, {"a": 1}) == chosen


def test_a_busy_explicit_port_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    a = port(twins=GRPC)
    monkeypatch.setenv(a.variable, str(a.default))
    with held(a.default + 10000), pytest.raises(PortInUseError) as error:
        ports.choose([a], [])
    message = str(error.value)
    assert f"Port {a.default + 10000} on 127.0.0.1 (test a gRPC, {a.variable} + 10000)" in message
    assert "already in use" in message and f"export {a.variable}=<free port>" in message
    assert "lsof -nP" in message


def test_an_automatic_choice_never_takes_an_explicit_port(monkeypatch: pytest.MonkeyPatch) -> None:
    a = port("a")
    b = Port("b", "test b", "JUKEBOX_TEST_B_PORT", a.default + 1)
    monkeypatch.setenv(b.variable, str(a.default))  # b asks for a's default
    assert ports.choose([a, b], []) == {"a": a.default + 1, "b": a.default}


def test_explicit_ports_that_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = port("a"), port("b")
    monkeypatch.setenv(a.variable, str(a.default))
    monkeypatch.setenv(b.variable, str(a.default))
    with pytest.raises(
        PlatformError, match=f"would both use port {a.default}: change {b.variable}"
    ):
        ports.choose([a, b], [])


def test_an_explicit_port_whose_twin_is_too_high(monkeypatch: pytest.MonkeyPatch) -> None:
    a = port(twins=GRPC)
    monkeypatch.setenv(a.variable, "60000")
    with pytest.raises(PlatformError, match=f"above 65535: set {a.variable} lower"):
        ports.choose([a], [])


def test_no_free_port_near_the_default() -> None:
    a = port(twins=GRPC, default=65530)  # every twin would be above 65535
    with pytest.raises(PortInUseError, match=f"No free port for the test a .*{a.variable}="):
        ports.choose([a], [])


def test_a_port_held_by_a_connection_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A port lent to an outgoing connection cannot be bound, but lsof shows no listener."""
    a = port()
    with socket.socket() as server, socket.socket() as connection:
        server.bind(("127.0.0.1", 0))
        server.listen()
        connection.bind(("127.0.0.1", a.default))
        connection.connect(server.getsockname())
        monkeypatch.setenv(a.variable, str(a.default))
        with pytest.raises(PortInUseError) as error:
            ports.choose([a], [])
    message = str(error.value)
    assert "no program listens on it" in message and "Wait a minute" in message
    assert f"export {a.variable}=<free port>" in message and "lsof" not in message
