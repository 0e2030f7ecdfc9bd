"""The local model server as a platform service: MLServer, speaking the Open Inference Protocol.

It runs from its own virtual environment (`.venv-serving`, see requirements-serving.txt) and
serves ONNX models through `jukebox_workshop.local.model_runtime`. It is optional: `jukebox up`
leaves it out, and `jukebox deploy` (or `jukebox up model-server`) starts it. Each start
begins with nothing deployed, as a new model server pod does; `jukebox_workshop.local.deploy`
puts a registered model version on it.

Its folder, `<state>/model-server/`, holds the server's `settings.json`, one
`models/<model>/model-settings.json` per deployed model (MLServer finds them there) and the
files of each deployed version, downloaded from S3 (`artifacts/<model>/<version>/`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from jukebox_workshop.errors import PlatformError
from jukebox_workshop.local import probe
from jukebox_workshop.local.service import Context, Port, Service
from jukebox_workshop.settings import LOOPBACK, MODEL_SERVER_URL_VARIABLE, REPO_ROOT

FOLDER = "model-server"
VENV = REPO_ROOT / ".venv-serving"
# The folder holding the jukebox_workshop package, for the server to import the runtime from.
SOURCE = Path(__file__).resolve().parents[3]  # src/, from src/jukebox_workshop/local/services/
# MLServer also opens a gRPC port, here the REST port + 1.
PORT = Port("model-server", "model server", "JUKEBOX_MODEL_SERVER_PORT", 8090, (("gRPC", 1),))


def folder(state: Path) -> Path:
    return state / FOLDER


def url(context: Context) -> str:
    return f"http://{LOOPBACK}:{context.port(PORT.key)}"


def find_mlserver() -> list[str]:
    """The environment's Python and its `mlserver` script. Run through Python, the process's
    command line is the one recorded (run directly, the kernel puts the interpreter first)."""
    python, program = VENV / "bin" / "python", VENV / "bin" / "mlserver"
    if not (python.is_file() and program.is_file()):
        raise PlatformError(
            f"The model server's environment is missing ({program} not found): run "
            "`make install`, which creates .venv-serving from requirements-serving.txt."
        )
    return [str(python), str(program)]


def write_settings(context: Context) -> None:
    """A fresh folder with the server's settings: nothing deployed, nothing left from before."""
    root = folder(context.state)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    port = context.port(PORT.key)
    settings = {
        "debug": False,  # an unexpected error answers 500 without a traceback in the body
        "host": LOOPBACK,
        "http_port": port,
        "grpc_port": port + PORT.twins[0][1],
        "metrics_endpoint": None,  # no metrics server, so no third port
        "parallel_workers": 0,  # inference in the server process: no worker processes
        "load_models_at_startup": False,
    }
    (root / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")


def command(context: Context) -> list[str]:
    return [*find_mlserver(), "start", str(folder(context.state))]


def answers(context: Context) -> bool:
    return probe.answers(f"{url(context)}/v2/health/live")


SERVICE = Service(
    name="model-server",
    title="Model server (MLServer)",
    ports=(PORT,),
    command=command,
    url=url,
    ready=answers,
    environment=lambda context: {MODEL_SERVER_URL_VARIABLE: url(context)},
    # It takes about 3 s to exit on SIGTERM (its gRPC server waits for streams), and keeps
    # nothing worth saving: a short grace is enough.
    stop_grace=2.0,
    data=(FOLDER,),
    prepare=write_settings,
    process_environment=lambda context: {"PYTHONPATH": str(SOURCE)},
    workdir=FOLDER,
    optional=True,
    # It serves what the registry names and S3 holds: `jukebox up model-server` starts all three.
    needs=("s3", "registry"),
)
