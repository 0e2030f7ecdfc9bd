"""What a cluster imports, generated from the code: the pipeline's IR YAML, the Katib Experiment,
the OpenVINO Model Server runtime, the Feast FeatureStore, the Kubeflow Trainer TrainJob and
the Spark preparation's SparkApplication.

`make manifests` writes them into cluster/; the tests check that the committed files are what
the code generates now.
"""

from __future__ import annotations

from pathlib import Path

from jukebox_workshop.settings import REPO_ROOT

CLUSTER_DIR = REPO_ROOT / "cluster"
PIPELINE_FILE = "pipeline.yaml"
EXPERIMENT_FILE = "katib-experiment.yaml"
RUNTIME_FILE = "serving-runtime.yaml"
FEATURE_STORE_FILE = "feature-store.yaml"
TRAINJOB_FILE = "trainjob.yaml"
SPARK_FILE = "spark-prepare.yaml"


def generated(image: str | None = None) -> dict[str, str]:
    """File name -> content, for steps and trials run in `image` (default: pipeline.IMAGE)."""
    from jukebox_workshop.cluster import (
        feature_store,
        katib,
        pipeline,
        serving,
        spark_prepare,
        trainjob,
    )

    image = image or pipeline.IMAGE
    return {
        PIPELINE_FILE: pipeline.compiled(image),
        EXPERIMENT_FILE: katib.manifest(image),
        RUNTIME_FILE: serving.runtime_manifest(),
        FEATURE_STORE_FILE: feature_store.text(),
        TRAINJOB_FILE: trainjob.manifest(image),
        SPARK_FILE: spark_prepare.text(),  # Spark's own image (cluster/Containerfile.spark)
    }


def stale(folder: Path = CLUSTER_DIR) -> list[str]:
    """The files in `folder` that differ from what the code generates (missing ones too)."""
    return [
        name
        for name, text in generated().items()
        if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text
    ]


def write(folder: Path | None = None, image: str | None = None) -> list[Path]:
    folder = folder or CLUSTER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generated(image).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written
