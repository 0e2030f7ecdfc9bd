import pytest


@pytest.fixture(scope="session")
def local_platform():
    """The local platform's variables; started here only if it is not running, and then stopped."""
    from jukebox_workshop.local import lifecycle

    started = lifecycle.start()
    yield lifecycle.environment()
    if started:
        lifecycle.stop()
