"""The pre-flight script the guide tells instructors to run: its lines and its exit status."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest
from support.local_platform import free_port

from jukebox_workshop import preflight
from jukebox_workshop.local import lifecycle
from jukebox_workshop.settings import DATA_FILES, REGISTRY_URL_VARIABLE, S3_VARIABLES


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    """A data folder with both file names, so that these tests do not depend on jukebox/data."""
    for name in DATA_FILES:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("JUKEBOX_DATA_DIR", str(tmp_path))


@pytest.fixture
def platform_env(running_platform, monkeypatch, dataset):
    for name, value in running_platform.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MODEL_REGISTRY_TOKEN", raising=False)
    return running_platform


def run(capsys) -> tuple[int, dict[str, str]]:
    """Exit status, and "status detail" of each check by name (its first line)."""
    status = preflight.main([])
    lines = {}
    for line in capsys.readouterr().out.splitlines():
        match = re.match(r"^(ok|warn|skip|FAIL)\s+(.{16}) (.*)$", line)
        if match:
            lines.setdefault(match.group(2).strip(), f"{match.group(1)} {match.group(3)}")
    return status, lines


def test_missing_settings_fail_with_what_to_do(monkeypatch, capsys, dataset):
    for name in (*S3_VARIABLES, REGISTRY_URL_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    status, lines = run(capsys)
    assert status == 1
    assert lines["data connection"].startswith(
        "FAIL Missing environment variables: AWS_S3_ENDPOINT"
    )
    assert "data connection attached to the workbench" in lines["data connection"]
    assert lines["s3 bucket"].startswith("skip")
    assert lines["model registry"].startswith("FAIL MODEL_REGISTRY_URL is not set")
    assert lines["python"].startswith("ok")
    assert lines["dataset"].startswith("ok")


def test_empty_region_counts_as_missing(monkeypatch, capsys, dataset):
    for name in S3_VARIABLES:
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "")
    check = preflight.check_data_connection()
    assert check.status == "FAIL" and "AWS_DEFAULT_REGION" in check.detail


def test_missing_dataset_fails(monkeypatch, tmp_path):
    monkeypatch.setenv("JUKEBOX_DATA_DIR", str(tmp_path))
    check = preflight.check_dataset()
    assert check.status == "FAIL" and "make data" in check.detail


def test_memory_is_reported_in_gib():
    check = preflight.check_memory()
    assert check.status in {"ok", "warn"} and "GiB available" in check.detail


def test_unreachable_registry(monkeypatch):
    monkeypatch.setenv(REGISTRY_URL_VARIABLE, f"http://127.0.0.1:{free_port()}")
    check = preflight.check_registry()
    assert check.status == "FAIL" and check.detail.startswith("Cannot reach 127.0.0.1:")


@pytest.mark.platform
def test_everything_passes_on_the_local_platform(platform_env, capsys):
    status, lines = run(capsys)
    assert status == 0, lines
    assert (
        lines["s3 bucket"]
        == f"ok s3://models at {platform_env['AWS_S3_ENDPOINT']} answers with these keys"
    )
    assert lines["s3 pipeline"] == "ok the 'pipeline' bucket exists"
    assert lines["model registry"].startswith("ok ")
    assert "/api/model_registry/v1alpha3/" in lines["model registry"]
    assert lines["mlflow"] == f"ok {platform_env['MLFLOW_TRACKING_URI']} answers"


@pytest.mark.platform
def test_mlflow_down_or_not_set(platform_env, monkeypatch):
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", dead)
    check = preflight.check_mlflow()
    assert check.status == "FAIL"
    assert check.detail.startswith(f"Cannot reach the MLflow tracking server at {dead}")
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    check = preflight.check_mlflow()
    assert check.status == "ok" and "local store" in check.detail


@pytest.mark.platform
def test_wrong_secret_key(platform_env, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    check = preflight.check_s3()[0]
    assert check.status == "FAIL" and "refused the credentials" in check.detail


@pytest.mark.platform
def test_missing_bucket(platform_env, monkeypatch):
    monkeypatch.setenv("AWS_S3_BUCKET", "no-such-bucket")
    check = preflight.check_s3()[0]
    assert check.status == "FAIL" and "The bucket 'no-such-bucket' does not exist" in check.detail


@pytest.mark.platform
def test_s3_down(platform_env, monkeypatch):
    monkeypatch.setenv("AWS_S3_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    check = preflight.check_s3()[0]
    assert check.status == "FAIL" and check.detail.startswith("Cannot reach the S3 server")


@pytest.mark.platform
def test_something_that_is_not_a_registry(platform_env, monkeypatch):
    filer = lifecycle.current_ports()["filer"]
    monkeypatch.setenv(REGISTRY_URL_VARIABLE, f"http://127.0.0.1:{filer}")
    check = preflight.check_registry()
    assert (
        check.status == "FAIL" and "answered 404 for /api/model_registry/v1alpha3/" in check.detail
    )


def test_model_name_says_where_it_comes_from(monkeypatch):
    monkeypatch.delenv("JUKEBOX_MODEL_NAME", raising=False)
    monkeypatch.delenv("NOTEBOOK_ARGS", raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    check = preflight.check_model_name()
    assert (check.status, check.detail) == (
        "ok",
        "jukebox-ada (from the workbench user ada; JUKEBOX_MODEL_NAME changes it)",
    )
    monkeypatch.setenv("JUKEBOX_MODEL_NAME", "Jukebox Ada")
    check = preflight.check_model_name()
    assert check.status == "FAIL" and "is not a valid model name" in check.detail


def test_packages_are_checked_against_the_workbench_ranges(tmp_path):
    assert preflight.check_packages().status == "ok"  # the laptop's pins are in the ranges
    requirements = tmp_path / "requirements-workbench.txt"
    requirements.write_text(
        "# a comment\npandas>=2.2  # in range\nnumpy<1\nno-such-package==1.0\n-e .\n"
    )
    check = preflight.check_packages(requirements)
    assert check.status == "FAIL"
    numpy = version("numpy")
    assert check.detail.startswith(f"numpy {numpy} (needs <1), no-such-package missing.")
    assert "pip install -r requirements-workbench.txt" in check.detail
