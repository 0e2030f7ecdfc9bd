"""The scaling-out page's commands work as written, and its figures are the benchmark's."""

from __future__ import annotations

import ast
import inspect
import re
import shlex
from contextlib import redirect_stdout
from io import StringIO

import kfp
from support.results import recorded

from jukebox_workshop import cli
from jukebox_workshop.cluster import katib, manifests, pipeline
from jukebox_workshop.refine.search_space import PARAMETERS
from jukebox_workshop.settings import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "scaling-out.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", PAGE.read_text(), re.M | re.S)


def shell_lines(program: str) -> list[list[str]]:
    """The page's shell commands that start with `program`, without comments."""
    found = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == program:
                found.append(words)
    return found


def test_the_jukebox_commands_parse():
    commands = shell_lines(".venv/bin/jukebox")
    assert {words[1] for words in commands} == {"pipeline", "manifests", "prepare"}
    for words in commands:
        cli.build_parser().parse_args(words[1:])


def test_the_manifests_commands_do_what_the_page_says(tmp_path):
    for words in shell_lines(".venv/bin/jukebox"):
        if words[1] != "manifests":
            continue
        arguments = words[1:]
        if "--out" in arguments:
            arguments[arguments.index("--out") + 1] = str(tmp_path)
        with redirect_stdout(StringIO()):
            assert cli.main(arguments) == 0
    image = "quay.io/<org>/jukebox-pipeline:1"
    for name in (manifests.PIPELINE_FILE, manifests.EXPERIMENT_FILE):
        assert image in (tmp_path / name).read_text()


def test_the_trial_command_is_the_experiments_with_values_inside_the_space():
    (words,) = [w for w in shell_lines(".venv/bin/python") if "jukebox_workshop.cluster.katib" in w]
    assert words[1:3] == ["-m", "jukebox_workshop.cluster.katib"]
    args = katib.trial_parser().parse_args(words[3:])
    for parameter in PARAMETERS:
        katib._value(parameter, getattr(args, parameter.name))  # raises outside the space
    documented = [word for word in words[3:] if not word.startswith("--epochs")]
    assert [word.split("=")[0] for word in documented] == [
        word.split("=")[0] for word in katib.trial_command()[3:]
    ]


def test_the_cluster_files_the_commands_use_exist():
    for block in blocks("bash"):
        for path in re.findall(r"\bcluster/[\w.-]+", block):
            assert (REPO_ROOT / path).exists(), path


def test_the_python_example_calls_the_kfp_client_as_it_is():
    (example,) = blocks("python")
    calls = [
        node
        for node in ast.walk(ast.parse(example))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "client"
    ]
    assert {call.func.attr for call in calls} >= {"upload_pipeline", "create_recurring_run"}
    for call in calls:
        signature = inspect.signature(getattr(kfp.Client, call.func.attr))
        signature.bind(None, *call.args, **{k.arg: None for k in call.keywords})
    parameters = re.search(r"params=\{(.*?)\}", example, re.S)[1]
    assert set(re.findall(r'"(\w+)":', parameters)) <= set(
        pipeline.training_pipeline.component_spec.inputs
    )


def test_the_comparison_quotes_the_benchmark():
    measured = recorded("pipeline")
    text = PAGE.read_text()
    for row, path in (("notebooks by hand", "notebooks"), ("make pipeline", "pipeline")):
        quoted = re.search(
            rf"^\| {row} \| (\d+) s \| (\d+) s \| (\d+) files, ([\d.]+) MiB \| (\d+) \|$",
            text,
            re.M,
        )
        assert quoted, f"no row for {row}"
        figures = measured[path]
        assert int(quoted[1]) == round(figures["median_seconds"])
        assert int(quoted[2]) == round(figures["median_notebook_seconds"])
        assert int(quoted[3]) == figures["kept"]["files"]
        assert float(quoted[4]) == round(figures["kept"]["bytes"] / 2**20, 1)
        assert int(quoted[5]) == figures["registry_properties"]
    pipeline_figures = measured["pipeline"]
    overhead = pipeline_figures["median_seconds"] - pipeline_figures["median_notebook_seconds"]
    assert f"{round(overhead)} s per\nrun here" in text
