"""The guide's figures of notebook 7's promotion rule quote benchmarks/results/promotion.json
(benchmarks/promotion.py), decision by decision."""

from __future__ import annotations

from support.results import recorded

from jukebox_workshop.settings import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "notebooks.md"
DATASETS = {"shipped": "shipped data", "real-copy": "look-alike real copy"}


def row(dataset: str, decision: dict) -> str:
    outcome = "promoted" if decision["promoted"] else "not promoted"
    return (
        f"| {DATASETS[dataset]} | {decision['study_trials']} | trial {decision['best_trial']} | "
        f"{decision['candidate_mean_validation_top5']:.2%} and "
        f"{decision['parent_mean_validation_top5']:.2%} | "
        f"{decision['promotion_margin'] * 100:.2f} points | {outcome} | "
        f"{decision['candidate_test_top5']:.2%} and {decision['parent_test_top5']:.2%} |"
    )


def test_the_promotion_figures_quote_the_benchmark():
    measured = recorded("promotion")
    text = PAGE.read_text()
    assert "benchmarks/promotion.py" in text
    for dataset, run in measured["runs"].items():
        for decision in run["decisions"]:
            assert row(dataset, decision) in text, (
                f"the page does not quote {row(dataset, decision)}"
            )


def test_no_promoted_candidate_is_worse_on_the_test_split():
    for run in recorded("promotion")["runs"].values():
        for decision in run["decisions"]:
            if decision["promoted"]:
                assert decision["candidate_test_top5"] >= decision["parent_test_top5"], decision
