"""The Python examples in the guide run, against the real local model server and S3 server."""

from __future__ import annotations

import ast
import re
import textwrap

import numpy as np
import pytest

from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import NOTEBOOK_DIR, OUTPUT_DIR, REPO_ROOT, model_name

DOCS = REPO_ROOT / "docs"


def python_blocks(page: str) -> list[str]:
    """The page's python code blocks, also those indented in a list item."""
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", (DOCS / page).read_text(), re.M | re.S)
    return [textwrap.dedent(code) for _, code in blocks]


def latest_run():
    workspace = Workspace(OUTPUT_DIR)
    if not workspace.latest_version():
        pytest.skip(f"no trained model in {workspace.runs_dir}/ (run `make workshop`)")
    return workspace.run(workspace.latest_version())


@pytest.mark.after_notebooks
@pytest.mark.platform
def test_serving_example_asks_the_local_model_server(running_platform, monkeypatch, capsys):
    """The page's request, sent to the real local model server serving the latest version,
    prints the five countries ONNX Runtime ranks first, with their probabilities."""
    import onnxruntime as ort

    from jukebox_workshop.local.deploy import DeployError, deploy

    run = latest_run()
    try:
        deployment = deploy(model_name(), run.version, report=None)
    except DeployError as error:  # the notebooks did not register it on this platform
        pytest.skip(str(error))
    preprocessing = run.preprocessing()
    helpers, call = python_blocks("serving.md")[:2]
    song = ast.literal_eval(re.search(r"^song = (\{.*?\})$", call, re.M | re.S).group(1))

    monkeypatch.chdir(NOTEBOOK_DIR)
    monkeypatch.setenv("MODEL_SERVER_URL", deployment.url)
    for name in ("INFERENCE_ENDPOINT", "DEPLOYED_MODEL_NAME", "INFERENCE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    exec(helpers + "\n" + call, {})
    printed = capsys.readouterr().out.splitlines()

    session = ort.InferenceSession(str(run.onnx_file), providers=["CPUExecutionProvider"])
    feeds = {name: np.array([[song[name]]], dtype="float32") for name in preprocessing["features"]}
    (probabilities,) = session.run(None, feeds)[0]
    best = np.argsort(probabilities)[::-1][:5]
    assert printed == [
        f"{preprocessing['countries'][i]}  {float(probabilities[i]):.1%}" for i in best
    ]


@pytest.mark.platform
def test_bucket_listing_example_runs(running_platform, monkeypatch, capsys):
    for name, value in running_platform.items():
        monkeypatch.setenv(name, value)
    (listing,) = python_blocks("object-storage.md")
    exec(listing, {})
    printed = capsys.readouterr().out
    assert all(line.startswith("jukebox") for line in printed.splitlines())
