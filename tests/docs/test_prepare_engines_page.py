"""The scaling-out page's comparison of the preparation's engines quotes
benchmarks/results/prepare_engines.json (benchmarks/prepare_engines.py), row by row."""

from __future__ import annotations

import re

from support.results import recorded

from jukebox_workshop.settings import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "scaling-out.md"


def test_the_engine_comparison_quotes_the_benchmark():
    measured = recorded("prepare_engines")
    text = PAGE.read_text()
    for scale, entry in measured["scales"].items():
        for engine in ("pandas", "spark"):
            figures = entry[engine]
            row = (
                f"| {scale} | {entry['chart_rows']:,} | {engine} | "
                f"{figures['median_wall_s']:.0f} s | {figures['median_prepare_s']:.1f} s | "
                f"{figures['median_cpu_s']:.0f} s | {figures['median_peak_rss_gib']:.2f} GiB |"
            )
            assert row in text, f"the page does not quote {scale} {engine}: {row}"
    limit = measured["pandas_on_a_small_workbench"]
    assert f"{limit['chart_rows_at_the_limit'] / 1e6:.0f} million chart rows" in text
    assert re.search(rf"\b{limit['times_the_shipped_data']:.0f} times the shipped", text)
