"""`make workshop` summarises each stage from the files the notebooks wrote."""

import json

from jukebox_workshop.local.workshop import summary
from jukebox_workshop.notebooks import workshop_notebooks
from jukebox_workshop.runs import Workspace


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_notebooks_are_found_in_order():
    assert [path.name[:2] for path in workshop_notebooks()] == [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "07",
        "08",
        "09",
        "10",
    ]


def test_no_run_yet(tmp_path):
    assert summary(tmp_path) == [f"No training run found in {tmp_path / 'runs'}/."]


def test_one_line_per_stage_from_the_notebooks_files(tmp_path):
    workspace = Workspace(tmp_path)
    write(
        workspace.preprocessing_file,
        {"split": {"examples": {"train": 700, "validation": 150, "test": 150}}},
    )
    run = workspace.new_run("20260101-000000")
    workspace.mark_latest(run)
    write(run.training_file, {"epochs_run": 12, "training_seconds": 3.2})
    write(
        run.metrics_file,
        {
            "model": {"accuracy": 0.08, "top5_accuracy": 0.29, "macro_f1": 0.05},
            "baselines": {"random forest": {"top5_accuracy": 0.25}},
            "bayes": {"top5": 0.31},
        },
    )
    write(run.upload_file, {"objects": {"a": "1", "b": "2"}, "uri": "s3://models/jukebox/x"})
    write(
        run.registration_file,
        {
            "registered_model_id": "1",
            "model_version_id": "2",
            "model_artifact_id": "1",
            "registry_url": "http://r",
            "model_name": "jukebox-ada",
        },
    )
    write(
        workspace.serving_file,
        {
            "model_name": "jukebox",
            "version": "20260101-000000",
            "model_url": "http://127.0.0.1:8090/v2/models/jukebox",
            "example": {"song": "Vilo (Nael Voro)", "top_countries": [["Norway", 0.052]]},
        },
    )
    lines = summary(tmp_path)
    assert [line.split()[0] for line in lines] == [
        "prepared",
        "trained",
        "evaluated",
        "uploaded",
        "registered",
        "served",
        "Vilo",
    ]
    assert lines[5] == (
        "served     model 'jukebox' version 20260101-000000 at "
        "http://127.0.0.1:8090/v2/models/jukebox"
    )
    assert lines[6].strip() == "Vilo (Nael Voro): Norway 5.2%"
    assert "top-5 29.0%" in lines[2] and "random forest top-5 25.0%" in lines[2]
    assert "best achievable top-5 31.0%" in lines[2]
    assert "s3://models/jukebox/x" in lines[3] and "version 2" in lines[4]
    assert "model 'jukebox-ada'" in lines[4]


def test_a_registration_from_before_per_attendee_names_was_jukebox(tmp_path):
    workspace = Workspace(tmp_path)
    run = workspace.new_run("20260101-000000")
    workspace.mark_latest(run)
    record = {"registered_model_id": "1", "model_version_id": "2", "model_artifact_id": "1"}
    write(run.registration_file, {**record, "registry_url": "http://r"})
    assert "model 'jukebox' (id 1)" in summary(tmp_path)[-1]


def test_the_search_and_its_decision(tmp_path):
    workspace = Workspace(tmp_path)
    parent, candidate = workspace.new_run("20260101-000000"), workspace.new_run("20260102-000000")
    workspace.mark_latest(candidate)
    record = {
        "parent_version": parent.version,
        "study_name": "jukebox-0123abcd",
        "study_trials": 12,
        "best_trial": 7,
        "promoted": False,
        "promotion_reason": "Version 20260102-000000 has validation top-5 30.40%, ...",
    }
    write(candidate.refinement_file, record)
    lines = summary(tmp_path)
    assert lines[-2] == (
        "refined    12 trials in study jukebox-0123abcd; the best, trial 7, is version "
        "20260102-000000, not promoted: version 20260101-000000 stays the one to deploy"
    )
    assert lines[-1].strip() == record["promotion_reason"]
    write(candidate.refinement_file, record | {"promoted": True})
    assert "promoted: it is the version to deploy" in summary(tmp_path)[-2]


def test_the_feature_stores_online_reads(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.mark_latest(workspace.new_run("20260101-000000"))
    write(
        workspace.feature_store_file,
        {"online_read_ms": {"in_process": 0.22, "feature_server": 7.9}, "song_id_to_top5_ms": 14.1},
    )
    assert summary(tmp_path)[-1] == (
        "features   online read p50 0.2 ms in process, 7.9 ms through the feature server; "
        "song id to top 5 countries in 14.1 ms"
    )
