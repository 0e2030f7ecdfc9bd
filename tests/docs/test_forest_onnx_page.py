"""The notebooks page's table of the forest compiled to standard ONNX operators quotes
benchmarks/results/forest_onnx.json (benchmarks/forest_onnx.py), row by row."""

from __future__ import annotations

from support.results import recorded

from jukebox_workshop.settings import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "notebooks.md"


def test_the_forest_table_quotes_the_benchmark():
    datasets = recorded("forest_onnx")["datasets"]
    text = PAGE.read_text()
    for name, entry in datasets.items():
        runtimes = entry["runtimes"]
        row = (
            f"| {name} | {entry['trees']} | {entry['deepest_tree']} levels | "
            f"{entry['onnx_megabytes']:.1f} MB | "
            f"{runtimes['ONNX Runtime']['largest_difference']:.1e} | "
            f"{runtimes['OpenVINO (f32)']['largest_difference']:.1e} |"
        )
        assert row in text, f"docs/notebooks.md does not quote {name}: {row}"
        assert entry["operator_domains"] == ["ai.onnx"], "an operator OpenVINO cannot read"
        assert all(r["same_top5_share"] == 1.0 for r in runtimes.values())
    shipped = datasets["shipped data"]
    assert f"{shipped['train_examples']:,} training" in text
    assert f"at most {shipped['largest_leaf_count']:,}." in text
    assert f"grow to {shipped['largest_leaf_count_with_5_songs_per_leaf']:,} leaves" in text
