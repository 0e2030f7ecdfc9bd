"""Notebooks 5 and 6 against a real local platform: the errors attendees meet, and re-runs.

Each test runs the real notebooks (nbclient, a fresh kernel) in a temporary folder holding
one small model run, with the environment an attendee would have, then changes one thing.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from support.local_platform import free_port
from support.reverse_proxy import Certificates, ReverseProxy, certificate_authority

from jukebox_workshop.clients import s3_client
from jukebox_workshop.notebooks import NotebookFailedError, run_notebook
from jukebox_workshop.runs import Workspace

pytestmark = pytest.mark.platform

UPLOAD, REGISTER = "05-upload.ipynb", "06-register.ipynb"
# What a workbench or a developer's shell may set that changes notebooks 5 and 6; tests set
# them only on purpose.
ATTENDEE_UNSET = (
    "JUKEBOX_MODEL_VERSION",
    "JUKEBOX_MODEL_NAME",
    "JUPYTERHUB_USER",
    "NOTEBOOK_ARGS",
    "MODEL_REGISTRY_TOKEN",
    "KF_PIPELINES_SA_TOKEN_PATH",
    "AWS_CA_BUNDLE",
    "MODEL_REGISTRY_CA_BUNDLE",
    "SSL_CERT_FILE",
)


def run(name: str, folder: Path) -> str:
    """Execute a notebook in `folder`; return what it printed, or raise NotebookFailedError."""
    return run_notebook(
        name, workdir=folder, executed_dir=folder / "executed", echo=False
    ).printed()


def failure(name: str, folder: Path) -> str:
    """Run a notebook that must stop; return what it raised, as `ErrorName: message`."""
    with pytest.raises(NotebookFailedError) as error:
        run(name, folder)
    return f"{error.value.ename}: {error.value.evalue}"


@pytest.fixture
def run_folder(tmp_path: Path) -> tuple[Path, str]:
    """A folder laid out as notebooks 3 and 4 leave it, with a small model run."""
    version = f"test-{secrets.token_hex(4)}"
    workspace = Workspace(tmp_path / "output")
    run = workspace.new_run(version)
    run.onnx_file.write_bytes(secrets.token_bytes(2048))
    run.preprocessing_file.write_text(json.dumps({"features": ["tempo"], "countries": ["NO"]}))
    run.training_file.write_text(
        json.dumps(
            {
                "version": version,
                "trained_at": "2026-01-01T00:00:00+00:00",
                "training_seconds": 1.5,
                "parameters": {"epochs": 2, "seed": 42},
                "epochs_run": 2,
                "validation": {"accuracy": 0.1, "top5_accuracy": 0.3, "loss": 4.1},
                "git_commit": "unknown",
                "dataset_sha256": {
                    "song_properties.parquet": "a" * 64,
                    "song_rankings.parquet": "b" * 64,
                },
                "software": {"python": "3.11"},
            }
        )
    )
    run.metrics_file.write_text(
        json.dumps(
            {
                "version": version,
                "test_examples": 10,
                "test_songs": 8,
                "model": {"accuracy": 0.1, "top5_accuracy": 0.3, "macro_f1": 0.05},
                "baselines": {"random forest": {"top5_accuracy": 0.2}},
                "bayes": None,
            }
        )
    )
    workspace.mark_latest(run)
    return tmp_path, version


@pytest.fixture
def attendee(fresh_platform: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment `make lab` gives: the platform's variables, no notebook overrides."""
    for name, value in fresh_platform.items():
        monkeypatch.setenv(name, value)
    for name in ATTENDEE_UNSET:
        monkeypatch.delenv(name, raising=False)
    return dict(fresh_platform)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A cluster's own certificate authority, and a server certificate it signed."""
    return certificate_authority(tmp_path_factory.mktemp("tls"))


def stored_keys(env: dict[str, str], version: str, model: str = "jukebox") -> list[str]:
    listing = s3_client(env).list_objects_v2(
        Bucket=env["AWS_S3_BUCKET"], Prefix=f"{model}/{version}/"
    )
    return sorted(item["Key"] for item in listing.get("Contents", []))


def registered_versions(env: dict[str, str], model: str = "jukebox") -> list[str]:
    base = f"{env['MODEL_REGISTRY_URL']}/api/model_registry/v1alpha3"
    found = httpx.get(f"{base}/registered_model", params={"name": model})
    if found.status_code == 404:
        return []
    versions = httpx.get(f"{base}/registered_models/{found.json()['id']}/versions").json()
    return [item["name"] for item in versions["items"]]


def test_upload_then_register_then_rerun_both(attendee, run_folder):
    folder, version = run_folder
    printed = run(UPLOAD, folder)
    assert "Checkpoint passed" in printed
    assert stored_keys(attendee, version) == sorted(
        f"jukebox/{version}/{name}"
        for name in ("1/model.onnx", "metrics.json", "preprocessing.json", "training.json")
    )
    assert "already stored" in run(UPLOAD, folder)

    assert f"Registered version {version}" in run(REGISTER, folder)
    assert "already registered" in run(REGISTER, folder)
    assert registered_versions(attendee).count(version) == 1
    record = Workspace(folder / "output").run(version).registration()
    assert record["model_version_id"]


def test_a_stored_version_is_never_overwritten(attendee, run_folder):
    folder, version = run_folder
    run(UPLOAD, folder)
    key = f"jukebox/{version}/metrics.json"
    before = s3_client(attendee).get_object(Bucket="models", Key=key)["Body"].read()

    metrics = Workspace(folder / "output").run(version).metrics_file
    metrics.write_text(metrics.read_text().replace("0.3", "0.4"))
    message = failure(UPLOAD, folder)
    assert "already holds a different model" in message and "never overwritten" in message
    assert s3_client(attendee).get_object(Bucket="models", Key=key)["Body"].read() == before


def test_missing_variables_are_all_named(attendee, run_folder, monkeypatch):
    monkeypatch.delenv("AWS_S3_BUCKET")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    message = failure(UPLOAD, run_folder[0])
    assert "AWS_S3_BUCKET" in message and "AWS_SECRET_ACCESS_KEY" in message
    assert "data connection" in message and "make -s env" in message


def test_wrong_keys_are_refused_and_the_secret_is_not_shown(attendee, run_folder, monkeypatch):
    wrong = secrets.token_hex(16)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    message = failure(UPLOAD, run_folder[0])
    assert "refused the credentials" in message
    assert wrong not in message and attendee["AWS_SECRET_ACCESS_KEY"] not in message


def test_missing_bucket(attendee, run_folder, monkeypatch):
    monkeypatch.setenv("AWS_S3_BUCKET", "no-such-bucket")
    assert "bucket 'no-such-bucket' does not exist" in failure(UPLOAD, run_folder[0])


def test_s3_down_means_nothing_is_registered(attendee, run_folder, monkeypatch):
    folder, version = run_folder
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_S3_ENDPOINT", endpoint)
    assert f"Cannot reach the S3 server at {endpoint}" in failure(UPLOAD, folder)
    assert "run notebook 5 (upload) first. Nothing was registered." in failure(REGISTER, folder)
    assert version not in registered_versions(attendee)


def test_a_diverged_run_is_refused_by_the_registry_and_not_registered(attendee, run_folder):
    folder, version = run_folder
    metrics_file = Workspace(folder / "output").run(version).metrics_file
    metrics = json.loads(metrics_file.read_text())
    metrics["model"]["macro_f1"] = float("nan")  # what a diverged training run gives
    metrics_file.write_text(json.dumps(metrics))
    run(UPLOAD, folder)
    message = failure(REGISTER, folder)
    assert "refused what was sent (400 Bad Request)" in message
    assert "this version was not registered" in message
    assert version not in registered_versions(attendee)


def test_registry_down_after_upload_registers_on_rerun_without_uploading(
    attendee, run_folder, monkeypatch
):
    folder, version = run_folder
    run(UPLOAD, folder)
    objects = stored_keys(attendee, version)

    down = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MODEL_REGISTRY_URL", down)
    assert f"Cannot reach the Model Registry at {down}" in failure(REGISTER, folder)

    monkeypatch.setenv("MODEL_REGISTRY_URL", attendee["MODEL_REGISTRY_URL"])
    assert f"Registered version {version}" in run(REGISTER, folder)
    assert stored_keys(attendee, version) == objects


def test_registry_token_refused(attendee, run_folder, monkeypatch, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(secrets.token_urlsafe(16))
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jukebox_workshop.local.registry_server",
            "--port",
            str(port),
            "--database",
            str(tmp_path / "secured.db"),
            "--token-file",
            str(token_file),
        ],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                threading.Event().wait(0.05)
        monkeypatch.setenv("MODEL_REGISTRY_URL", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("MODEL_REGISTRY_TOKEN", raising=False)
        message = failure(REGISTER, run_folder[0])
        assert "refused the request (401" in message and "MODEL_REGISTRY_TOKEN" in message
    finally:
        server.terminate()
        server.wait(10)


def test_api_version_mismatch_names_the_pin(attendee, run_folder, monkeypatch):
    class OnlyV1(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"404 page not found")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), OnlyV1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("MODEL_REGISTRY_URL", f"http://127.0.0.1:{server.server_port}")
        message = failure(REGISTER, run_folder[0])
        assert "answered 404 for /api/model_registry/v1alpha3/" in message
        assert "model-registry==0.3.14" in message
    finally:
        server.shutdown()


# What OpenShift AI's dashboard puts into the workbench of the user Ada.Lovelace@example.com.
NOTEBOOK_ARGS = (
    "--ServerApp.port=8888\n--ServerApp.tornado_settings="
    '{"user":"ada-2elovelace-40example-2ecom","hub_host":"https://dashboard.example.com"}'
)


def test_each_workbench_user_gets_a_model_of_their_own(attendee, run_folder, monkeypatch):
    folder, version = run_folder
    monkeypatch.setenv("NOTEBOOK_ARGS", NOTEBOOK_ARGS)
    model = "jukebox-ada-lovelace-example-com"
    assert "Checkpoint passed" in run(UPLOAD, folder)
    assert f"Registered version {version} of '{model}'" in run(REGISTER, folder)

    assert stored_keys(attendee, version, model) and not stored_keys(attendee, version)
    assert version in registered_versions(attendee, model)
    assert version not in registered_versions(attendee)
    record = Workspace(folder / "output").run(version)
    assert record.upload()["prefix"] == f"{model}/{version}"
    assert record.registration()["model_name"] == model


def test_an_invalid_model_name_stops_before_anything_is_stored(attendee, run_folder, monkeypatch):
    folder, version = run_folder
    monkeypatch.setenv("JUKEBOX_MODEL_NAME", "Jukebox Ada")
    message = failure(UPLOAD, folder)
    assert "JUKEBOX_MODEL_NAME='Jukebox Ada' is not a valid model name" in message
    assert "lower-case letters, digits and dashes" in message
    assert not stored_keys(attendee, version, "Jukebox Ada")


def test_s3_behind_a_certificate_of_the_clusters_own(
    attendee, run_folder, monkeypatch, certificates, tmp_path
):
    folder, version = run_folder
    with ReverseProxy(attendee["AWS_S3_ENDPOINT"], certificates=certificates) as route:
        monkeypatch.setenv("AWS_S3_ENDPOINT", route.url)
        message = failure(UPLOAD, folder)
        assert (
            f"The S3 server at {route.url} has a TLS certificate this workbench does not trust"
            in message
        )
        assert "Set AWS_CA_BUNDLE to the path of a file" in message
        assert "http://<service>.<namespace>.svc.cluster.local:<port>" in message
        assert message.startswith("WorkshopError: ")  # not botocore's SSLError

        # OpenShift AI's variable for the cluster's CA bundle, which boto3 does not read
        monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca))
        assert f"try `%env AWS_CA_BUNDLE={certificates.ca}` first" in failure(UPLOAD, folder)
        monkeypatch.delenv("SSL_CERT_FILE")

        monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "ca.pem"))
        assert f"AWS_CA_BUNDLE='{tmp_path / 'ca.pem'}' is not a file" in failure(UPLOAD, folder)

        monkeypatch.setenv("AWS_CA_BUNDLE", str(certificates.ca))
        assert "Checkpoint passed" in run(UPLOAD, folder)
    assert len(stored_keys(attendee, version)) == 4


def test_a_registry_behind_a_certificate_of_the_clusters_own(
    attendee, run_folder, monkeypatch, certificates, tmp_path
):
    folder, version = run_folder
    run(UPLOAD, folder)
    monkeypatch.setenv("MODEL_REGISTRY_TOKEN", "any token: the local registry checks none")
    with ReverseProxy(
        attendee["MODEL_REGISTRY_URL"], certificates=certificates, upstream_host=True
    ) as route:
        monkeypatch.setenv("MODEL_REGISTRY_URL", route.url)
        message = failure(REGISTER, folder)
        assert (
            f"The Model Registry at {route.url} has a TLS certificate this workbench does not trust"
            in message
        )
        assert "Set MODEL_REGISTRY_CA_BUNDLE to the path of a file" in message
        assert "http://<registry>.<namespace>.svc.cluster.local:8080" in message
        assert message.startswith("WorkshopError: ")  # not aiohttp's certificate error

        monkeypatch.setenv("MODEL_REGISTRY_CA_BUNDLE", str(tmp_path / "ca.pem"))
        message = failure(REGISTER, folder)
        assert f"MODEL_REGISTRY_CA_BUNDLE='{tmp_path / 'ca.pem'}' is not a file" in message

        monkeypatch.setenv("MODEL_REGISTRY_CA_BUNDLE", str(certificates.ca))
        assert f"Registered version {version}" in run(REGISTER, folder)
    assert version in registered_versions(attendee)


def test_https_to_a_plain_http_server(attendee, run_folder, monkeypatch):
    plain = attendee["MODEL_REGISTRY_URL"].replace("http://", "https://")
    monkeypatch.setenv("MODEL_REGISTRY_URL", plain)
    monkeypatch.setenv("MODEL_REGISTRY_TOKEN", "any")
    run(UPLOAD, run_folder[0])
    message = failure(REGISTER, run_folder[0])
    assert f"The TLS connection to the Model Registry at {plain} failed" in message
    assert "write http://, not https://, in MODEL_REGISTRY_URL" in message


def test_the_workbench_token_is_refused_until_the_project_is_granted_access(
    attendee, run_folder, monkeypatch, tmp_path
):
    folder, version = run_folder
    run(UPLOAD, folder)
    # What OpenShift mounts in every workbench, and the variable the images point at it
    service_account_token = secrets.token_urlsafe(24)
    (tmp_path / "token").write_text(service_account_token)
    monkeypatch.setenv("KF_PIPELINES_SA_TOKEN_PATH", str(tmp_path / "token"))
    tokens = {service_account_token: False}
    with ReverseProxy(
        attendee["MODEL_REGISTRY_URL"], tokens=tokens, upstream_host=True
    ) as auth_proxy:
        monkeypatch.setenv("MODEL_REGISTRY_URL", auth_proxy.url)
        message = failure(REGISTER, folder)
        assert "refused the request (403 Forbidden)" in message
        assert "this workbench's service-account token" in message
        assert "Manage permissions, Projects tab" in message  # fix 1: the instructor grants
        assert "set MODEL_REGISTRY_TOKEN to your own user token (`oc whoami -t`" in message
        assert "Copy login command" in message  # fix 2: the attendee's own token

        tokens[service_account_token] = True  # the instructor grants the project access
        assert f"Registered version {version}" in run(REGISTER, folder)


def test_a_user_token_without_access_and_an_expired_one(attendee, run_folder, monkeypatch):
    folder, _ = run_folder
    run(UPLOAD, folder)
    user_token = secrets.token_urlsafe(24)
    with ReverseProxy(
        attendee["MODEL_REGISTRY_URL"], tokens={user_token: False}, upstream_host=True
    ) as auth_proxy:
        monkeypatch.setenv("MODEL_REGISTRY_URL", auth_proxy.url)
        monkeypatch.setenv("MODEL_REGISTRY_TOKEN", user_token)
        message = failure(REGISTER, folder)
        assert "refused the request (403 Forbidden)" in message
        assert "the user whose token is in MODEL_REGISTRY_TOKEN has no access" in message
        assert "Users tab" in message and user_token not in message

        monkeypatch.setenv("MODEL_REGISTRY_TOKEN", "expired")
        message = failure(REGISTER, folder)
        assert "refused the request (401 Unauthorized)" in message
        assert "MODEL_REGISTRY_TOKEN is wrong or has expired" in message
        assert "oc whoami -t" in message


def test_a_registered_location_without_the_model_fails_the_checkpoint_until_uploaded(
    attendee, run_folder
):
    folder, version = run_folder
    run(UPLOAD, folder)
    s3_client(attendee).delete_object(Bucket="models", Key=f"jukebox/{version}/1/model.onnx")
    message = failure(REGISTER, folder)
    assert "the registered location does not hold this version's model" in message
    assert f"jukebox/{version}/1/model.onnx is missing or differs" in message

    assert re.search(r"\b1 of \d+ files to upload", run(UPLOAD, folder))
    printed = run(REGISTER, folder)
    assert "already registered" in printed and "Checkpoint passed" in printed
