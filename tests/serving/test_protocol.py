"""The model server speaks the Open Inference Protocol (KServe V2 REST), binds loopback only,
and answers every bad request with a 4xx and a message, then goes on answering."""

from __future__ import annotations

import json

import httpx
import psutil
import pytest
from support.model_versions import SONG, Served, v2_request

from jukebox_workshop.local import lifecycle
from jukebox_workshop.local.deploy import deploy

pytestmark = [pytest.mark.platform, pytest.mark.slow]
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def deployed(serving: Served) -> Served:
    deploy(serving.model_name, serving.versions[0], report=None)
    return serving


def test_health_metadata_and_ready(deployed: Served) -> None:
    assert httpx.get(f"{deployed.url}/v2/health/live").status_code == 200
    assert httpx.get(f"{deployed.url}/v2/health/ready").status_code == 200
    assert httpx.get(f"{deployed.model_url}/ready").status_code == 200
    server = httpx.get(f"{deployed.url}/v2").json()
    assert server["name"] == "mlserver" and server["version"]
    assert httpx.get(deployed.model_url).json()["platform"] == "onnxruntime"


def test_listens_on_loopback_only(deployed: Served) -> None:
    (status,) = [service for service in lifecycle.status() if service.name == "model-server"]
    listening = [
        connection.laddr
        for connection in psutil.Process(status.pid).net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    ]
    port = lifecycle.current_ports()["model-server"]
    # gRPC listens on an IPv6 socket for 127.0.0.1, shown as ::ffff:127.0.0.1.
    assert {address.ip.removeprefix("::ffff:") for address in listening} == {"127.0.0.1"}
    assert {address.port for address in listening} == {port, port + 1}  # REST and gRPC


def without(name: str) -> dict:
    body = v2_request([SONG])
    body["inputs"] = [item for item in body["inputs"] if item["name"] != name]
    return body


def changed(**fields) -> dict:
    body = v2_request([SONG])
    body["inputs"][0].update(fields)
    return body


def raw(body: dict) -> bytes:
    return json.dumps(body).encode()  # Python writes NaN as a bare NaN, which JSON does not have


def twenty_megabytes() -> bytes:
    """250,000 songs, padded with spaces (still valid JSON) to 20 MB."""
    body = raw(v2_request([SONG] * 250_000))
    return body + b" " * (20_000_000 - len(body))


def infinite() -> bytes:
    return raw(v2_request([SONG])).replace(b'"data": [0.0]', b'"data": [1e999]', 1)


# The body (made when the test runs), the status and a part of the message.
BAD_REQUESTS = {
    "missing input": (lambda: raw(without("tempo")), 400, "Inputs missing: tempo"),
    "unknown input": (lambda: raw(changed(name="loudnes")), 400, "unknown: loudnes"),
    "wrong datatype": (lambda: raw(changed(datatype="FP64")), 400, "datatype FP64: send FP32"),
    "not a datatype": (lambda: raw(changed(datatype="FLOAT")), 422, "Input should be"),
    "wrong shape": (lambda: raw(changed(shape=[1, 2])), 400, "has shape [1, 2]: send [n, 1]"),
    "shape and data disagree": (lambda: raw(changed(shape=[3, 1])), 400, "numbers of rows"),
    "text values": (lambda: raw(changed(data=["loud"])), 400, "values that are not numbers"),
    "NaN values": (lambda: raw(changed(data=[float("nan")])), 422, "JSON decode error"),
    "infinite values": (infinite, 422, "number is infinity"),
    "beyond FP32": (lambda: raw(changed(data=[1e39])), 400, "NaN, infinite or too large values"),
    "not JSON": (lambda: b"danceability=0.7", 422, "JSON decode error"),
    "no inputs": (lambda: b'{"inputs": []}', 400, "Inputs missing"),
    "a 20 MB body": (twenty_megabytes, 413, "the limit is 8,388,608"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_a_bad_request_gets_a_4xx_with_a_message(deployed: Served, case: str) -> None:
    body, status, message = BAD_REQUESTS[case]
    response = httpx.post(f"{deployed.model_url}/infer", content=body(), headers=JSON, timeout=60)
    assert response.status_code == status, response.text
    assert message in response.text
    # ... and the server goes on answering.
    answer = httpx.post(f"{deployed.model_url}/infer", json=v2_request([SONG]), timeout=10)
    assert answer.status_code == 200
    assert answer.json()["model_version"] == deployed.versions[0]


def test_an_unknown_model_gets_404(deployed: Served) -> None:
    for response in (
        httpx.post(f"{deployed.url}/v2/models/nobody/infer", json=v2_request([SONG])),
        httpx.get(f"{deployed.url}/v2/models/nobody"),
        httpx.get(f"{deployed.url}/v2/models/nobody/ready"),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "Model nobody not found"}


def test_too_many_songs_in_one_request(deployed: Served) -> None:
    response = httpx.post(
        f"{deployed.model_url}/infer", json=v2_request([SONG] * 10_001), timeout=60
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "10,001 songs in one request; the limit is 10,000: split the request."
    }
