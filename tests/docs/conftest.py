import pytest


@pytest.fixture(scope="session")
def local_platform():
    """The local platform's variables; started here only if it is not running, and then stopped."""
    from jukebox_workshop import platform

    started = platform.start()
    yield platform.environment()
    if started:
        platform.stop()
