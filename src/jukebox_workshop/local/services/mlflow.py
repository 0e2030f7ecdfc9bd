"""The local MLflow tracking server as a platform service: `mlflow server` on 127.0.0.1.

Experiments, runs, parameters and metrics are kept in `<state>/mlflow.db` (SQLite). Artifacts
go to the S3 server's own bucket `mlflow`, created before the server starts; the server
proxies them, so a notebook needs only MLFLOW_TRACKING_URI, no S3 keys, to log them.
"""

from __future__ import annotations

import sys

from jukebox_workshop.errors import NotStartedError
from jukebox_workshop.local import probe
from jukebox_workshop.local.service import Context, Port, Service
from jukebox_workshop.local.services import s3
from jukebox_workshop.settings import DEFAULT_REGION, LOOPBACK, TRACKING_URI_VARIABLE

BUCKET = "mlflow"
DATABASE = "mlflow.db"


def url(context: Context) -> str:
    return f"http://{LOOPBACK}:{context.port('mlflow')}"


def command(context: Context) -> list[str]:
    return [
        *(sys.executable, "-m", "mlflow", "server"),
        *("--backend-store-uri", f"sqlite:///{context.state / DATABASE}"),
        *("--artifacts-destination", f"s3://{BUCKET}"),
        *("--host", LOOPBACK, "--port", str(context.port("mlflow"))),
        *("--workers", "1"),  # one process is plenty for one attendee; each costs 250 MiB
    ]


def server_environment(context: Context) -> dict[str, str]:
    """How the server reaches the bucket; no background job runner, no usage reports."""
    credentials = s3.load_credentials(context.state)
    if credentials is None:
        raise NotStartedError("The S3 server has no credentials yet: run `make up`.")
    return {
        "MLFLOW_S3_ENDPOINT_URL": s3.endpoint(context),
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def create_bucket(context: Context) -> None:
    """The artifacts' bucket, if it is missing (the S3 server answers by now: it is needed)."""
    s3.ensure_buckets(context, (BUCKET,))


def answers(context: Context) -> bool:
    return probe.answers(f"{url(context)}/health")


SERVICE = Service(
    name="mlflow",
    title="MLflow server",
    ports=(Port("mlflow", "MLflow", "JUKEBOX_MLFLOW_PORT", 5000),),
    command=command,
    url=url,
    ready=answers,
    environment=lambda context: {TRACKING_URI_VARIABLE: url(context)},
    # `mlflow server` passes SIGTERM on to the web server it started, and waits for it.
    stop_grace=10.0,
    data=(DATABASE,),
    prepare=create_bucket,
    process_environment=server_environment,
    needs=("s3",),
)
