"""The model server's runtime: an MLServer model that answers with ONNX Runtime.

It runs inside the model server's own virtual environment (`.venv-serving`, installed from
requirements-serving.txt), so it imports only MLServer, NumPy and ONNX Runtime: nothing else
from this package.

MLServer reads `model-settings.json` (written by `jukebox_workshop.local.deploy`): `parameters.uri`
is the downloaded model version's folder, holding `1/model.onnx`; `versions` names the
registry's model version, which every answer carries as `model_version`. The inputs and the
output are the ONNX model's own.

A request the model cannot answer gets a 4xx with a message, before anything is decoded:
an input missing, unknown or given twice, another datatype than FP32, a shape that is not
[n, 1] with the same n everywhere, data that does not fill the shape, values that are not
finite FP32 numbers, too many songs, or too large a body. (MLServer itself answers 422 to a
body that is not JSON, NaN and infinity included, and 404 to an unknown model.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
from mlserver import MLModel
from mlserver.errors import MLServerError
from mlserver.types import InferenceRequest, InferenceResponse, RequestInput, ResponseOutput

from jukebox_workshop.errors import JukeboxError

MAX_SONGS = 10_000  # per request: the answer holds one probability per song and country
MAX_BODY_BYTES = 8 * 1024 * 1024
ONNX_FILE = Path("1") / "model.onnx"  # the layout OpenVINO Model Server and KServe load


class BadRequest(JukeboxError, MLServerError):
    def __init__(self, message: str, status_code: int = 400):
        super().__init__(message, status_code)


def _too_large(payload: InferenceRequest) -> int | None:
    """The body's size when it is above the limit (MLServer passes the request's headers on)."""
    headers = (payload.parameters.headers if payload.parameters else None) or {}
    try:
        size = int(headers.get("content-length", 0))
    except (TypeError, ValueError):
        return None
    return size if size > MAX_BODY_BYTES else None


def _rows(item: RequestInput) -> int:
    """The number of songs in one input, after checking its datatype and shape."""
    datatype = getattr(item.datatype, "value", item.datatype)  # MLServer keeps the enum's value
    if datatype != "FP32":
        raise BadRequest(f"Input '{item.name}' has datatype {datatype}: send FP32.")
    shape = list(item.shape)
    if len(shape) != 2 or shape[1] != 1 or shape[0] < 1:
        raise BadRequest(
            f"Input '{item.name}' has shape {shape}: send [n, 1], one row per song (n >= 1)."
        )
    return shape[0]


def _values(item: RequestInput, rows: int) -> np.ndarray:
    try:
        with np.errstate(over="ignore"):  # a value beyond FP32's range becomes inf: checked below
            values = np.asarray(item.data.root, dtype=np.float32)
    except (TypeError, ValueError):
        raise BadRequest(f"Input '{item.name}' holds values that are not numbers.") from None
    if values.size != rows:
        raise BadRequest(
            f"Input '{item.name}' has {values.size} values for shape [{rows}, 1]: "
            "send one value per song."
        )
    if not np.isfinite(values).all():
        raise BadRequest(
            f"Input '{item.name}' holds NaN, infinite or too large values: send finite numbers "
            "within FP32's range (about ±3.4e38)."
        )
    return values.reshape(rows, 1)


class OnnxModel(MLModel):
    """One ONNX model version, served by ONNX Runtime on the CPU."""

    async def load(self) -> bool:
        folder = Path(self.settings.parameters.uri)
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: the server log stays readable
        self._session = ort.InferenceSession(
            str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = [item.name for item in self._session.get_inputs()]
        self._version = self.settings.versions[0] if self.settings.versions else None
        return True

    def _feeds(self, payload: InferenceRequest) -> dict[str, np.ndarray]:
        if size := _too_large(payload):
            raise BadRequest(
                f"The request body has {size:,} bytes; the limit is {MAX_BODY_BYTES:,}: "
                f"send at most {MAX_SONGS:,} songs per request.",
                413,
            )
        names = [item.name for item in payload.inputs]
        missing = [name for name in self._input_names if name not in names]
        unknown = sorted(set(names) - set(self._input_names))
        repeated = sorted({name for name in names if names.count(name) > 1})
        if missing or unknown or repeated:
            problems = [
                f"{what}: {', '.join(found)}"
                for what, found in (
                    ("missing", missing),
                    ("unknown", unknown),
                    ("repeated", repeated),
                )
                if found
            ]
            raise BadRequest(
                f"Inputs {'; '.join(problems)}. Send one input per feature: "
                f"{', '.join(self._input_names)}."
            )
        rows = {item.name: _rows(item) for item in payload.inputs}
        if len(set(rows.values())) > 1:
            raise BadRequest(
                f"The inputs have different numbers of rows ({sorted(set(rows.values()))}): "
                "send the same songs in every input."
            )
        count = next(iter(rows.values()))
        if count > MAX_SONGS:
            raise BadRequest(
                f"{count:,} songs in one request; the limit is {MAX_SONGS:,}: split the request.",
                413,
            )
        return {item.name: _values(item, count) for item in payload.inputs}

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = self._feeds(payload)
        results = self._session.run(None, feeds)
        outputs = [
            ResponseOutput(
                name=meta.name,
                datatype="FP32",
                shape=list(result.shape),
                data=result.astype(np.float32).ravel().tolist(),
            )
            for meta, result in zip(self._session.get_outputs(), results, strict=True)
        ]
        return InferenceResponse(
            model_name=self.name, model_version=self._version, id=payload.id, outputs=outputs
        )
