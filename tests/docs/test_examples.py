"""The Python examples in the guide run, against a real model and the real local S3 server."""

from __future__ import annotations

import ast
import re
import textwrap

import numpy as np
import pytest

from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import OUTPUT_DIR, REPO_ROOT

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
def test_serving_example_matches_the_exported_model():
    import onnxruntime as ort

    run = latest_run()
    preprocessing = run.preprocessing()
    helpers, call = python_blocks("serving.md")[:2]
    namespace: dict = {}
    exec(helpers, namespace)
    song = ast.literal_eval(re.search(r"^song = (\{.*?\})$", call, re.M | re.S).group(1))

    request = namespace["v2_request"](song, preprocessing["features"])
    session = ort.InferenceSession(str(run.onnx_file), providers=["CPUExecutionProvider"])
    assert [i["name"] for i in request["inputs"]] == [i.name for i in session.get_inputs()]
    assert all(i["shape"] == [1, 1] and i["datatype"] == "FP32" for i in request["inputs"])

    feeds = {
        i["name"]: np.array(i["data"], dtype="float32").reshape(i["shape"])
        for i in request["inputs"]
    }
    (probabilities,) = session.run(None, feeds)
    output = session.get_outputs()[0]
    response = {
        "outputs": [
            {
                "name": output.name,
                "datatype": "FP32",
                "shape": list(probabilities.shape),
                "data": probabilities.ravel().tolist(),
            }
        ]
    }
    top = namespace["top_countries"](response, preprocessing["countries"])
    assert len(top) == 5 and all(country in preprocessing["countries"] for country, _ in top)
    assert top[0][1] == pytest.approx(float(probabilities.max()))


@pytest.mark.platform
def test_bucket_listing_example_runs(local_platform, monkeypatch, capsys):
    for name, value in local_platform.items():
        monkeypatch.setenv(name, value)
    (listing,) = python_blocks("object-storage.md")
    exec(listing, {})
    printed = capsys.readouterr().out
    assert all(line.startswith("jukebox") for line in printed.splitlines())
