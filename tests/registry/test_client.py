"""The workshop's flows through the real `model_registry` client (it speaks v1alpha3)."""

from __future__ import annotations

import pytest
from model_registry import ModelRegistry
from model_registry.exceptions import StoreError
from model_registry.types import ModelVersionState, RegisteredModelState

METADATA = {"accuracy": 0.9812, "epochs": 5, "framework": "keras", "quantized": False}


def register(client: ModelRegistry, name: str, version: str = "1.0.0", **metadata: object) -> None:
    client.register_model(
        name,
        f"s3://models/{name}/{version}?endpoint=http://127.0.0.1:8333&defaultRegion=us-east-1",
        version=version,
        model_format_name="onnx",
        model_format_version="1",
        storage_key="models",
        storage_path=f"{name}/{version}",
        version_description="first try",
        metadata=metadata or METADATA,
    )


def test_register_and_read_back(client: ModelRegistry, unique: str) -> None:
    register(client, unique)

    model = client.get_registered_model(unique)
    assert model is not None
    assert (model.name, model.owner, model.state) == (unique, "test", RegisteredModelState.LIVE)
    assert model.id.isdigit() and int(model.create_time_since_epoch) > 1_600_000_000_000

    version = client.get_model_version(unique, "1.0.0")
    assert version is not None
    assert version.registered_model_id == model.id
    assert (version.author, version.description) == ("test", "first try")
    assert version.custom_properties == METADATA
    assert type(version.custom_properties["epochs"]) is int

    artifact = client.get_model_artifact(unique, "1.0.0")
    assert artifact is not None
    assert artifact.name == unique
    assert artifact.uri.startswith(f"s3://models/{unique}/1.0.0?endpoint=")
    assert (artifact.model_format_name, artifact.model_format_version) == ("onnx", "1")
    assert (artifact.storage_key, artifact.storage_path) == ("models", f"{unique}/1.0.0")


def test_second_version_shares_the_model(client: ModelRegistry, unique: str) -> None:
    register(client, unique, "1")
    register(client, unique, "2", accuracy=0.99)
    versions = list(client.get_model_versions(unique))
    assert [v.name for v in versions] == ["1", "2"]
    # Models and versions draw ids from one sequence.
    model_id = int(client.get_registered_model(unique).id)
    assert model_id < int(versions[0].id) < int(versions[1].id)


def test_duplicate_version_is_refused(client: ModelRegistry, unique: str) -> None:
    register(client, unique)
    with pytest.raises(StoreError, match="already exists"):
        register(client, unique)


def test_missing_things(client: ModelRegistry, unique: str) -> None:
    assert client.get_registered_model(unique) is None
    with pytest.raises(StoreError, match="does not exist"):
        client.get_model_version(unique, "1")
    register(client, unique)
    assert client.get_model_version(unique, "9.9.9") is None


def test_pagers_return_everything_once_and_stop(client: ModelRegistry, unique: str) -> None:
    names = [f"{unique}-{i}" for i in range(7)]
    for name in names:
        client.register_model(
            name, "s3://b/k", version="1", model_format_name="onnx", model_format_version="1"
        )
    for version in range(2, 6):
        register(client, names[0], str(version))

    for pager in (
        client.get_registered_models().page_size(3),
        client.get_registered_models().page_size(2).order_by_creation_time().descending(),
        client.get_registered_models().page_size(4).order_by_update_time(),
        client.get_registered_models(),
    ):
        ids = [model.id for model in pager]
        assert len(ids) == len(set(ids))
        seen = {model.name for model in client.get_registered_models()}
        assert set(names) <= seen

    ascending = [m.name for m in client.get_registered_models().page_size(3) if m.name in names]
    assert ascending == names
    descending = [
        m.name for m in client.get_registered_models().page_size(3).descending() if m.name in names
    ]
    assert descending == names[::-1]

    versions = [v.name for v in client.get_model_versions(names[0]).page_size(2)]
    assert versions == ["1", "2", "3", "4", "5"]


def test_update_model_version_and_artifact(client: ModelRegistry, unique: str) -> None:
    register(client, unique)

    model = client.get_registered_model(unique)
    model.description = "songs people like"
    model.owner = "ada"
    updated = client.update(model)
    assert (updated.description, updated.owner) == ("songs people like", "ada")
    assert int(updated.last_update_time_since_epoch) >= int(updated.create_time_since_epoch)

    version = client.get_model_version(unique, "1.0.0")
    version.custom_properties = {"f1": 0.5, "note": "retrained"}
    version.description = "second try"
    client.update(version)
    reread = client.get_model_version(unique, "1.0.0")
    assert reread.custom_properties == {"f1": 0.5, "note": "retrained"}  # replaced, not merged
    assert reread.description == "second try"

    artifact = client.get_model_artifact(unique, "1.0.0")
    artifact.uri = "s3://models/elsewhere"
    artifact.storage_path = "elsewhere"
    artifact.custom_properties = {"size_mb": 12}
    client.update(artifact)
    reread_artifact = client.get_model_artifact(unique, "1.0.0")
    assert (reread_artifact.uri, reread_artifact.storage_path) == (
        "s3://models/elsewhere",
        "elsewhere",
    )
    assert reread_artifact.model_format_name == "onnx"  # untouched fields stay
    assert reread_artifact.custom_properties == {"size_mb": 12}


def test_archive(client: ModelRegistry, unique: str) -> None:
    register(client, unique)
    version = client.get_model_version(unique, "1.0.0")
    version.state = ModelVersionState.ARCHIVED
    client.update(version)
    assert client.get_model_version(unique, "1.0.0").state == ModelVersionState.ARCHIVED
    # Archiving a version leaves its model alone.
    assert client.get_registered_model(unique).state == RegisteredModelState.LIVE

    model = client.get_registered_model(unique)
    model.state = RegisteredModelState.ARCHIVED
    client.update(model)
    assert client.get_registered_model(unique).state == RegisteredModelState.ARCHIVED


def test_two_attendees_creating_one_model_at_once_are_told_to_run_again(
    client: ModelRegistry, registry, unique: str
) -> None:
    from model_registry.types import RegisteredModel

    from jukebox_workshop.errors import WorkshopError
    from jukebox_workshop.explain import explain_registry_errors

    register(client, unique)  # the other attendee's cell won the race
    # What register_model sends next when its own look-up ran just before the other's create.
    create = client._api.upsert_registered_model(RegisteredModel(name=unique))
    with pytest.raises(WorkshopError, match=r"409 Conflict .*Run this cell again"):
        with explain_registry_errors(registry.url):
            client.async_runner(create)
