"""The checks of `make test-workbench`, on made-up package sets (the real run takes minutes)."""

from __future__ import annotations

import pytest
import simulate

BEFORE = {"tensorflow": "2.18.1", "pydantic": "1.10.22", "tf2onnx": "1.16.1", "kfp": "2.12.2"}
TF2ONNX_BROKEN = "tf2onnx 1.16.1 has requirement protobuf~=3.20, but you have protobuf 4.25.8."


def test_pip_check_lines_become_package_requirement_pairs():
    broken = simulate.parse_pip_check(
        [
            TF2ONNX_BROKEN,
            "kfp-kubernetes 1.5.0 requires kfp, which is not installed.",
            "No broken requirements found.",
        ]
    )
    assert set(broken) == {("tf2onnx", "protobuf"), ("kfp-kubernetes", "kfp")}


def test_an_install_that_adds_only_passes():
    after = {**BEFORE, "tf2onnx": "1.17.0", "seaborn": "0.13.2"}
    broken = simulate.parse_pip_check([TF2ONNX_BROKEN])
    assert simulate.compare("tensorflow-2026", BEFORE, after, broken, {}) == []


def test_a_changed_core_package_and_a_new_conflict_fail():
    after = {**BEFORE, "tensorflow": "2.21.0"}
    broken_after = simulate.parse_pip_check(
        ["kfp 2.12.2 has requirement protobuf<5, but you have protobuf 6.31.1."]
    )
    problems = simulate.compare("tensorflow-2025.1", BEFORE, after, {}, broken_after)
    assert problems == [
        "core package tensorflow changed: 2.18.1 -> 2.21.0",
        "requirement broken by the install: kfp 2.12.2 has requirement protobuf<5, "
        "but you have protobuf 6.31.1.",
    ]


def test_only_the_conflicts_the_readme_names_are_accepted():
    line = "codeflare-sdk 0.30.0 has requirement pydantic<2, but you have pydantic 2.14.4."
    broken_after = simulate.parse_pip_check([line])
    after = {**BEFORE, "pydantic": "2.14.4"}
    assert simulate.compare("tensorflow-2025.1", BEFORE, after, {}, broken_after) == []
    assert simulate.compare("tensorflow-2026", BEFORE, after, {}, broken_after) != []
    readme = simulate.README.read_text()
    for conflicts in simulate.KNOWN_CONFLICTS.values():
        for package, requirement in conflicts:
            assert package in readme and requirement in readme


def test_the_readme_gives_one_workbench_install_command():
    assert simulate.workbench_install_command() == "pip install -r requirements-workbench.txt"


def test_each_image_has_its_package_list():
    for image in simulate.IMAGES:
        if image != "light":
            assert "tensorflow==" in simulate.image_list(image).read_text()


def test_the_command_line_takes_no_image_or_known_ones(monkeypatch):
    ran = []
    monkeypatch.setattr(
        simulate, "simulate", lambda image, notebooks: ran.append(image) or simulate.Outcome(image)
    )
    assert simulate.main(["--no-notebooks"]) == 0 and ran == list(simulate.IMAGES)
    with pytest.raises(SystemExit):
        simulate.main(["tensorflow-1999"])


def test_the_pandas_3_set_is_the_2026_image_with_pandas_3_and_its_mlflow():
    def pins(image):
        lines = simulate.image_list(image).read_text().splitlines()
        return {line for line in lines if line and not line.startswith("#")}

    image, pandas_3 = pins("tensorflow-2026"), pins("pandas-3")
    changed = {line.split("==")[0] for line in image ^ pandas_3}
    assert changed == {"pandas", "mlflow", "mlflow-skinny", "mlflow-tracing"}
    assert "pandas==3.1.1" in pandas_3
