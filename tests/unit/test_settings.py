"""Settings come from the environment, and a missing one is named in the error."""

from __future__ import annotations

import os

import pytest

from jukebox_workshop import settings
from jukebox_workshop.errors import MissingSettingsError
from jukebox_workshop.settings import S3_VARIABLES, explicit_port, registry_auth_requested, require


def test_require_returns_the_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in S3_VARIABLES:
        monkeypatch.setenv(name, f"value of {name}")
    assert require(S3_VARIABLES) == {name: f"value of {name}" for name in S3_VARIABLES}


def test_require_lists_every_missing_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_S3_ENDPOINT", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "")  # empty counts as missing
    for name in (
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_S3_BUCKET",
        "MODEL_REGISTRY_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MissingSettingsError) as error:
        require([*S3_VARIABLES, "MODEL_REGISTRY_URL"])
    message = str(error.value)
    missing = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_S3_BUCKET",
        "MODEL_REGISTRY_URL",
    ]
    assert "Missing environment variables: " + ", ".join(missing) + "." in message
    assert "AWS_S3_ENDPOINT" not in message
    assert "make -s env" in message and "data connection" in message


def test_an_explicit_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUKEBOX_S3_PORT", raising=False)
    assert explicit_port("JUKEBOX_S3_PORT") is None
    monkeypatch.setenv("JUKEBOX_S3_PORT", "")  # empty means unset: the platform chooses
    assert explicit_port("JUKEBOX_S3_PORT") is None
    monkeypatch.setenv("JUKEBOX_S3_PORT", "9100")
    assert explicit_port("JUKEBOX_S3_PORT") == 9100


@pytest.mark.parametrize("value", ["nine thousand", "0", "70000", "-1"])
def test_a_port_that_is_not_a_port(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("JUKEBOX_S3_PORT", value)
    with pytest.raises(
        MissingSettingsError, match=f"JUKEBOX_S3_PORT='{value}' is not a port number."
    ):
        explicit_port("JUKEBOX_S3_PORT")


def test_state_dir_default_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("JUKEBOX_STATE_DIR", raising=False)
    assert settings.state_dir() == settings.REPO_ROOT / ".jukebox"
    monkeypatch.setenv("JUKEBOX_STATE_DIR", str(tmp_path))
    assert settings.state_dir() == tmp_path


@pytest.mark.parametrize(
    ("value", "wanted"), [("1", True), ("yes", True), ("0", False), ("", False)]
)
def test_registry_auth_variable(monkeypatch: pytest.MonkeyPatch, value: str, wanted: bool) -> None:
    monkeypatch.setenv("JUKEBOX_REGISTRY_AUTH", value)
    assert registry_auth_requested() is wanted


# What OpenShift AI's dashboard puts into a workbench for the user ada.lovelace@example.com.
DASHBOARD_NOTEBOOK_ARGS = """--ServerApp.port=8888
                  --ServerApp.token=''
                  --ServerApp.base_url=/notebook/ada-project/jukebox
                  --ServerApp.tornado_settings={"user":"ada-2elovelace-40example-2ecom","hub_host":"https://dashboard.example.com","hub_prefix":"/projects/ada-project"}"""


@pytest.fixture
def no_user(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("JUKEBOX_MODEL_NAME", "JUPYTERHUB_USER", "NOTEBOOK_ARGS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_on_a_laptop_the_model_is_jukebox(no_user) -> None:
    assert settings.workbench_user() is None
    assert settings.model_name() == "jukebox"


@pytest.mark.parametrize(
    ("user", "name"),
    [
        ("ada", "jukebox-ada"),
        ("Ada.Lovelace@Example.com", "jukebox-ada-lovelace-example-com"),
        ("kube:admin", "jukebox-kube-admin"),
        ("user_07", "jukebox-user-07"),
        ("  --  ", "jukebox"),
        ("x" * 80, "jukebox-" + "x" * 55),
        ("a" * 54 + "-b", "jukebox-" + "a" * 54),  # cut at 63, without a trailing dash
    ],
)
def test_each_jupyterhub_user_gets_a_model_of_their_own(no_user, user: str, name: str) -> None:
    no_user.setenv("JUPYTERHUB_USER", user)
    assert settings.model_name() == name


def test_the_openshift_ai_user_comes_from_the_dashboards_notebook_args(no_user) -> None:
    no_user.setenv("NOTEBOOK_ARGS", DASHBOARD_NOTEBOOK_ARGS)
    assert settings.workbench_user() == "ada.lovelace@example.com"
    assert settings.model_name() == "jukebox-ada-lovelace-example-com"
    no_user.setenv("JUPYTERHUB_USER", "grace")  # JupyterHub's variable comes first
    assert settings.model_name() == "jukebox-grace"


def test_notebook_args_without_a_user_mean_no_user(no_user) -> None:
    no_user.setenv("NOTEBOOK_ARGS", "--ServerApp.port=8888")
    assert settings.model_name() == "jukebox"


def test_jukebox_model_name_overrides_the_user(no_user) -> None:
    no_user.setenv("JUPYTERHUB_USER", "ada")
    no_user.setenv("JUKEBOX_MODEL_NAME", "jukebox-class-a")
    assert settings.model_name() == "jukebox-class-a"


@pytest.mark.parametrize("value", ["Jukebox", "jukebox/ada", "-jukebox", "jukebox_ada", "j" * 64])
def test_an_invalid_model_name_is_refused_not_changed(no_user, value: str) -> None:
    no_user.setenv("JUKEBOX_MODEL_NAME", value)
    with pytest.raises(MissingSettingsError, match="is not a valid model name"):
        settings.model_name()


def test_notebook_3s_default_epochs_are_the_packages():
    """The pipeline and Katib default to what notebook 3 trains for in class."""
    source = (settings.NOTEBOOK_DIR / "03-train.ipynb").read_text()
    assert f'os.environ.get(\\"JUKEBOX_EPOCHS\\", {settings.DEFAULT_EPOCHS})' in source


def test_notebook_3s_hyperparameters_are_the_pipelines_defaults(monkeypatch):
    """The pipeline trains with notebook 3's choices unless a run gives others."""
    import nbformat

    from jukebox_workshop.runs import Workspace

    for name in list(os.environ):
        if name.startswith("JUKEBOX_"):
            monkeypatch.delenv(name)
    notebook = nbformat.read(settings.NOTEBOOK_DIR / "03-train.ipynb", as_version=4)
    (cell,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    values = {"os": os, "Workspace": Workspace}
    exec(cell.source, values)
    # HIDDEN_LAYERS = None: notebook 3 compares candidates; the pipeline passes a number, the
    # network's two hidden layers unless a run gives another.
    assert values["HIDDEN_LAYERS"] is None
    values["HIDDEN_LAYERS"] = 2
    assert {name: values[name.upper()] for name in settings.DEFAULT_HYPERPARAMETERS} == (
        settings.DEFAULT_HYPERPARAMETERS
    )
