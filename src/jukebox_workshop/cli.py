"""The `jukebox` command: the local platform, the dataset, and the whole workshop in one go.

    jukebox up [--registry-token]     start S3, the Model Registry and MLflow on 127.0.0.1
    jukebox up model-server           start the (optional) model server too
    jukebox up feature-server         start Feast's (optional) feature server, once applied
    jukebox status                    what runs where, with pid, ports and memory
    eval "$(jukebox env)"             set the variables the notebooks read
    jukebox down                      stop what `jukebox up` started
    jukebox clean [--yes]             remove the stopped platform's data, keys and logs
    jukebox deploy [VERSION]          serve a registered model version on the local model server
    jukebox deploy --manifest [VERSION]  print its InferenceService for a cluster (oc apply -f -)
    jukebox data generate|convert|validate
    jukebox prepare --engine pandas|spark --out DIR   notebook 2's preparation, outside a notebook
    jukebox workshop                  run every notebook on the local platform
    jukebox pipeline [--epochs N]     notebooks 2-6 as a Kubeflow Pipeline, run by kfp.local
    jukebox manifests [--check]       write (or check) cluster/: pipeline, Katib Experiment, runtime

Expected failures (a busy port, a missing setting, bad data) print their message on stderr
and exit with status 1, without a traceback. The local platform's commands need the package's
`platform` extra; `jukebox preflight` and `jukebox data` do not (a workbench has no extra).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from jukebox_workshop.errors import JukeboxError, PlatformNotInstalledError
from jukebox_workshop.settings import DEFAULT_EPOCHS, DEFAULT_MODEL_NAME, model_name, state_dir

if TYPE_CHECKING:
    from jukebox_workshop.local.lifecycle import ServiceStatus

MIB = 1024 * 1024
Handler = Callable[[argparse.Namespace], int]


def _platform(module: str = "local.lifecycle") -> ModuleType:
    """The local platform (or what starts it), from the `platform` extra."""
    try:
        return importlib.import_module(f"jukebox_workshop.{module}")
    except ModuleNotFoundError as error:
        if (error.name or "").startswith("jukebox_workshop"):
            raise
        raise PlatformNotInstalledError(
            f"the local platform needs the package {error.name}, from this package's "
            "platform extra. On a laptop run `make install` (or `pip install -r "
            "requirements.txt -e '.[platform]'`). In an OpenShift AI workbench the notebooks "
            "use the cluster's S3 and Model Registry instead: no local platform is needed."
        ) from error


def _title_width(platform: ModuleType) -> int:
    return max(len(service.title) for service in platform.SERVICES.values())


def _ports_line(service: ServiceStatus) -> str:
    twins = sorted({(label, offset) for p in service.ports for label, offset in p.port.twins})
    if len(service.ports) == 1:
        number = service.ports[0].number
        extra = "".join(f" ({label} on {number + offset})" for label, offset in twins)
    else:
        extra = "".join(f" ({label} on each + {offset})" for label, offset in twins)
    return "ports: " + ", ".join(p.describe() for p in service.ports) + extra


def _up(args: argparse.Namespace) -> int:
    platform = _platform()
    width = _title_width(platform)
    started = platform.start(
        args.services or platform.started_by_up(),
        timeout=args.timeout,
        registry_token=True if args.registry_token else None,
    )
    for service in platform.status():
        if not service.running:
            continue
        how = "started" if service.name in started else "already running"
        print(f"{service.title:<{width}} {service.url:<24} {how} (pid {service.pid})")
        print(f"{'':<{width}} {_ports_line(service)}")
    if platform.token_file().is_file():
        print("The Model Registry requires a bearer token (MODEL_REGISTRY_TOKEN in `jukebox env`).")
    print(f"State, credentials and logs: {state_dir()}")
    print('Settings for the notebooks: eval "$(make -s env)"; stop with `make down`.')
    return 0


def _down(args: argparse.Namespace) -> int:
    platform = _platform()
    stopped = platform.stop()
    if stopped:
        titles = [platform.SERVICES[name].title for name in stopped]
        print("Stopped the " + " and the ".join(titles) + ".")
    else:
        print("Nothing to stop: the local platform is not running.")
    return 0


def _status(args: argparse.Namespace) -> int:
    platform = _platform()
    width = _title_width(platform)
    print(f"Local platform (state in {state_dir()})")
    for service in platform.status():
        if service.running:
            state = "running" if service.answering else "running, not answering"
            pid = f"pid {service.pid}"
        else:
            state, pid = "stopped", ""
        memory = f"{service.rss_bytes / MIB:.0f} MiB" if service.rss_bytes else ""
        print(
            f"  {service.title:<{width}} {state:<8} {pid:<10} {service.url:<24} {memory}".rstrip()
        )
        print(f"  {'':<{width}} {_ports_line(service)}")
        if service.optional and not service.running:
            print(f"  {'':<{width}} optional: `jukebox up {service.name}` starts it")
    print(f"Logs: {state_dir() / 'logs'}")
    return 0


def _env(args: argparse.Namespace) -> int:
    platform = _platform()
    variables = platform.environment()
    for name, value in variables.items():
        print(f"export {name}={shlex.quote(value)}")
    for service in platform.status():
        if service.running:
            print(f"# {service.title}: {_ports_line(service)}")
    if not platform.is_running():
        print("The local platform is not running: `make up` starts it.", file=sys.stderr)
    return 0


def _clean(args: argparse.Namespace) -> int:
    platform = _platform()
    if not args.yes:
        found = platform.leftovers(args.services or None)
        if not found:
            print("Nothing to remove.")
            return 0
        print("This removes, for good:")
        for path in found:
            print(f"  {path}")
        print("Run `jukebox clean --yes` to remove them (stop the platform first: `make down`).")
        return 1
    removed = platform.clean(args.services or None)
    print(f"Removed {len(removed)} files and folders." if removed else "Nothing to remove.")
    return 0


def _deploy(args: argparse.Namespace) -> int:
    if args.manifest:
        print(_inference_service(args.model or model_name(), args.version), end="")
        return 0
    deployment = _platform("local.deploy").deploy(args.model or model_name(), args.version)
    print(f"Metadata: GET {deployment.model_url}; answers: POST {deployment.model_url}/infer")
    return 0


def _inference_service(name: str, version: str | None) -> str:
    """For a cluster: the registry named by MODEL_REGISTRY_URL, no local platform."""
    from jukebox_workshop.clients import registry_client
    from jukebox_workshop.cluster.serving import inference_service_manifest
    from jukebox_workshop.deployment import version_to_deploy
    from jukebox_workshop.explain import explain_registry_errors
    from jukebox_workshop.settings import REGISTRY_URL_VARIABLE, require

    url = require((REGISTRY_URL_VARIABLE,))[REGISTRY_URL_VARIABLE]
    with explain_registry_errors(url):
        registry = registry_client(url, quiet=True)
        return inference_service_manifest(
            registry, name, version or version_to_deploy(registry, name)
        )


def _data(args: argparse.Namespace) -> int:
    from jukebox_workshop.dataset.build.commands import main as dataset_main

    return dataset_main(args.arguments)


def _prepare(args: argparse.Namespace) -> int:
    from jukebox_workshop.preparation import run_prepare

    return run_prepare(args.data, args.out, args.engine, args.seed)


def _preflight(args: argparse.Namespace) -> int:
    from jukebox_workshop.preflight import main as run_preflight

    return run_preflight([])


def _workshop(args: argparse.Namespace) -> int:
    return _platform("local.workshop").main()


def _pipeline(args: argparse.Namespace) -> int:
    platform = _platform()
    pipeline = _platform("cluster.pipeline")
    started = platform.start(["s3", "registry"])
    if started:
        print("Started the local platform (stop it with `make down`).")
    os.environ.update(platform.environment())
    root = pipeline.LOCAL_ROOT
    registered = pipeline.run_locally(args.data, args.epochs, args.model_name, root).metadata
    run = registered["pipeline"]
    print(
        f"\nPipeline {run['name']}, run {run['run_name']} (id {run['run_id']}): registered version "
        f"{registered['version']} of '{registered['model_name']}' (model version id "
        f"{registered['model_version_id']}) at {registered['registry_url']}.\n"
        f"Its artifacts and executed notebooks: {root / run['run_name']}/"
    )
    return 0


def _manifests(args: argparse.Namespace) -> int:
    manifests = _platform("cluster.manifests")

    if args.check:
        stale = manifests.stale()
        for name in stale:
            print(
                f"{manifests.CLUSTER_DIR / name} is not what the code generates.", file=sys.stderr
            )
        if stale:
            print("Regenerate with `make manifests` and commit the result.", file=sys.stderr)
        return 1 if stale else 0
    for path in manifests.write(args.out, args.image):
        print(f"Wrote {path}")
    return 0


def _up_arguments(up: argparse.ArgumentParser) -> None:
    try:  # for the help of `jukebox up`; the other commands work without the platform
        platform = _platform()
    except PlatformNotInstalledError:
        platform = None
    up.add_argument(
        "services",
        nargs="*",
        metavar="SERVICE",
        help=f"start only these, and those they need ({', '.join(platform.SERVICES)}); "
        "by default all but the optional ones (and the feature server once applied)"
        if platform
        else "not installed here (the platform extra)",
    )
    up.add_argument(
        "--registry-token",
        action="store_true",
        help="make the registry require a bearer token (also: JUKEBOX_REGISTRY_AUTH=1)",
    )
    up.add_argument(
        "--timeout",
        type=float,
        default=platform.DEFAULT_TIMEOUT if platform else None,
        help="seconds to wait for the services to answer"
        + (" (default: %(default).0f)" if platform else ""),
    )


def _clean_arguments(clean: argparse.ArgumentParser) -> None:
    clean.add_argument("services", nargs="*", metavar="SERVICE", help="only these")
    clean.add_argument("--yes", action="store_true", help="remove them (else: list them)")


def _deploy_arguments(deploy: argparse.ArgumentParser) -> None:
    deploy.add_argument(
        "version",
        nargs="?",
        help="the registered version (default: the one the registered model's deploy_version "
        "names, else the newest)",
    )
    deploy.add_argument(
        "--model", help="the registered model's name (default: JUKEBOX_MODEL_NAME, else jukebox)"
    )
    deploy.add_argument(
        "--manifest",
        action="store_true",
        help="print the version's InferenceService for a cluster (oc apply -f -) instead, from "
        "the registry MODEL_REGISTRY_URL names",
    )


def _data_arguments(data: argparse.ArgumentParser) -> None:
    data.add_argument(
        "arguments",
        nargs=argparse.REMAINDER,
        help="generate | convert CSV --out DIR | validate [DIR]",
    )


def _prepare_arguments(prepare: argparse.ArgumentParser) -> None:
    prepare.add_argument("--engine", choices=("pandas", "spark"), default="pandas")
    prepare.add_argument("--out", type=Path, required=True, help="folder for the splits")
    prepare.add_argument(
        "--data",
        type=Path,
        default=None,
        help="dataset folder (default: JUKEBOX_DATA_DIR, else jukebox/data)",
    )
    prepare.add_argument("--seed", type=int, default=42, help="the split's seed (default: 42)")


def _pipeline_arguments(pipeline: argparse.ArgumentParser) -> None:
    pipeline.add_argument("--data", default="", help="a dataset folder or s3://bucket/prefix")
    pipeline.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="default: %(default)s")
    pipeline.add_argument("--model-name", default=DEFAULT_MODEL_NAME, help="default: %(default)s")


def _manifests_arguments(manifests: argparse.ArgumentParser) -> None:
    manifests.add_argument(
        "--check", action="store_true", help="only check that the committed files are current"
    )
    manifests.add_argument("--image", help="the image steps and trials run in (another cluster)")
    manifests.add_argument("--out", type=Path, default=None, help="folder (default: cluster/)")


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    return None


# Each command: its handler, its help, and what adds its arguments.
COMMANDS: dict[str, tuple[Handler, str, Callable[[argparse.ArgumentParser], None]]] = {
    "up": (
        _up,
        "start the local S3 server, Model Registry and MLflow server on 127.0.0.1",
        _up_arguments,
    ),
    "down": (_down, "stop the services `jukebox up` started", _no_arguments),
    "status": (
        _status,
        "show each service: running or not, pid, URL, ports, memory",
        _no_arguments,
    ),
    "env": (_env, 'print export lines for the notebooks: eval "$(jukebox env)"', _no_arguments),
    "clean": (
        _clean,
        "remove the stopped platform's data, keys and logs from its state dir",
        _clean_arguments,
    ),
    "deploy": (
        _deploy,
        "serve a registered model version on the local model server, from the registry and S3",
        _deploy_arguments,
    ),
    "data": (_data, "generate, convert or validate the workshop dataset", _data_arguments),
    "prepare": (
        _prepare,
        "notebook 2's preparation with the pandas or the Spark engine (jukebox/prepare.py)",
        _prepare_arguments,
    ),
    "workshop": (_workshop, "run every notebook in order on the local platform", _no_arguments),
    "pipeline": (
        _pipeline,
        "run notebooks 2 to 6 as a Kubeflow Pipeline with kfp.local on the local platform",
        _pipeline_arguments,
    ),
    "manifests": (
        _manifests,
        "write the pipeline's IR YAML, the Katib Experiment and the model server's runtime",
        _manifests_arguments,
    ),
    "preflight": (
        _preflight,
        "check settings, S3, the registry and memory before the workshop",
        _no_arguments,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jukebox", description="The Jukebox workshop: local platform, dataset and notebooks."
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}"
    )
    for name, (handler, help, add_arguments) in COMMANDS.items():
        command = commands.add_parser(name, help=help, description=help)
        command.set_defaults(handler=handler)
        add_arguments(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("jukebox: interrupted", file=sys.stderr)
        return 130
    except JukeboxError as error:
        print(f"jukebox {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
