"""Notebook 10's cluster branch against what a laptop can have: no pipeline server at the address,
and a server that refuses the token. The real `kfp.Client` makes the requests; a small HTTP
server on 127.0.0.1 answers 401 or 403 to everything, as the OpenShift proxy in front of Data
Science Pipelines does for a token it refuses.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import kfp
import pytest
from support.local_platform import free_port

from jukebox_workshop.cluster.pipeline_server import (
    explain_pipeline_server_errors,
    service_account_file,
)
from jukebox_workshop.errors import WorkshopError


@pytest.fixture
def refusing_server(request) -> Iterator[str]:
    """An HTTP server that answers every request with the status the test names."""
    status = request.param

    class Refuse(BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            body = json.dumps({"error": "refused", "code": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _refuse

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def submit(host: str, namespace: str = "jukebox") -> None:
    """What notebook 10 does first: a client, then its experiment."""
    with explain_pipeline_server_errors(host):
        client = kfp.Client(host=host, existing_token="a-token", namespace=namespace)
        client.create_experiment("jukebox")


@pytest.mark.parametrize("namespace", ["jukebox", "kubeflow"], ids=["project", "no project"])
def test_an_address_where_nothing_answers_is_reported_at_once(namespace):
    host = f"http://127.0.0.1:{free_port()}"
    started = time.perf_counter()
    with pytest.raises(WorkshopError, match=f"No pipeline server answers at {host}") as error:
        submit(host, namespace)
    assert "check KFP_HOST" in str(error.value)
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    ("refusing_server", "said"),
    [(401, "refused the token (401 Unauthorized)"), (403, "refused access (403 Forbidden)")],
    indirect=["refusing_server"],
)
def test_a_refused_token_says_which_token_to_use(refusing_server, said):
    started = time.perf_counter()
    with pytest.raises(WorkshopError, match=re.escape(said)) as error:
        submit(refusing_server)
    assert "KFP_TOKEN" in str(error.value)
    assert time.perf_counter() - started < 10


@pytest.mark.slow
@pytest.mark.parametrize("refusing_server", [401], indirect=True)
def test_without_a_project_the_clients_health_check_retries_then_says_so(
    refusing_server, monkeypatch
):
    """kfp.Client asks /healthz five times, 5 s apart, when it has no namespace: here without
    the pauses, which only make the test 20 s longer."""
    asks = kfp.Client.get_kfp_healthz
    monkeypatch.setattr(
        kfp.Client, "get_kfp_healthz", functools.partialmethod(asks, sleep_duration=0)
    )
    with pytest.raises(WorkshopError, match="did not answer its health check") as error:
        submit(refusing_server, namespace="kubeflow")
    assert "KFP_NAMESPACE" in str(error.value)


def test_the_service_account_files_are_read_in_a_pod_only(tmp_path):
    (tmp_path / "token").write_text("sha256~abc\n")
    assert service_account_file("token", tmp_path) == "sha256~abc"
    assert service_account_file("namespace", tmp_path) == ""
