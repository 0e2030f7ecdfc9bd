"""The promotion rule: on the same fresh seeds, the candidate's mean beats the current
version's by more than two standard errors of the difference, or the current version stays."""

from __future__ import annotations

import math
import statistics

import pytest

from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.refine.promotion import SIGMAS, decide, standard_error_of_difference

SEEDS = [43, 44, 45]
CURRENT = [0.300, 0.304, 0.302]  # mean 0.302, standard deviation 0.002
CANDIDATE = [0.310, 0.306, 0.308]  # mean 0.308, standard deviation 0.002
# Welch: sqrt(0.002² / 3 + 0.002² / 3) = 0.00163; the rule asks for more than 0.33 points.
ERROR = math.sqrt(2 * 0.002**2 / 3)


def test_the_standard_error_is_welchs() -> None:
    assert standard_error_of_difference(CANDIDATE, CURRENT) == pytest.approx(ERROR)
    assert standard_error_of_difference([0.1, 0.3], [0.2, 0.2, 0.2, 0.2]) == pytest.approx(
        math.sqrt(statistics.variance([0.1, 0.3]) / 2)
    )


def test_a_gain_above_the_margin_promotes() -> None:
    decision = decide(CANDIDATE, CURRENT, SEEDS, candidate="new", current="old")
    assert decision.promoted
    assert decision.candidate_mean == pytest.approx(0.308)
    assert decision.current_mean == pytest.approx(0.302)
    assert decision.margin == pytest.approx(2 * ERROR)
    assert decision.gain == pytest.approx(0.006)
    assert decision.reason == (
        "Over seeds 43, 44, 45, version new's configuration has mean validation top-5 30.80%, "
        "+0.60 points from version old's (30.20%): more than 2 standard errors of the "
        "difference (0.33 points)."
    )


def test_the_record_holds_the_figures_as_single_values() -> None:
    record = decide(CANDIDATE, CURRENT, SEEDS, candidate="new", current="old").record()
    assert record["promoted"] is True and record["promotion_reason"].startswith("Over seeds 43")
    assert record["promotion_seeds"] == "[43, 44, 45]"
    assert record["candidate_seed_validation_top5"] == "[0.31, 0.306, 0.308]"
    assert record["parent_seed_validation_top5"] == "[0.3, 0.304, 0.302]"
    assert record["candidate_mean_validation_top5"] == 0.308
    assert record["parent_mean_validation_top5"] == 0.302
    assert record["promotion_margin"] == round(2 * ERROR, 5)


def test_a_gain_within_the_margin_keeps_the_current_version() -> None:
    decision = decide([0.304, 0.302, 0.306], CURRENT, SEEDS, candidate="new", current="old")
    assert not decision.promoted
    assert "+0.20 points from version old's (30.20%)" in decision.reason
    assert decision.reason.endswith("Version old stays the one to deploy.")


def test_one_lucky_seed_is_not_enough() -> None:
    """The best trial's own seed may be far ahead; the mean over the seeds decides."""
    decision = decide([0.330, 0.300, 0.301], CURRENT, SEEDS, candidate="new", current="old")
    assert decision.gain > 0 and not decision.promoted


def test_a_worse_candidate_is_not_promoted() -> None:
    decision = decide([0.291, 0.291, 0.291], CURRENT, SEEDS, candidate="new", current="old")
    assert not decision.promoted and "-1.10 points" in decision.reason


def test_the_margin_is_a_strict_bound() -> None:
    assert SIGMAS == 2
    for shift, promoted in ((2 * ERROR - 1e-6, False), (2 * ERROR + 1e-6, True)):
        shifted = [value + shift for value in CURRENT]  # the same spread, the mean moved
        assert decide(shifted, CURRENT, SEEDS, candidate="a", current="b").promoted is promoted


def test_the_same_configuration_is_never_promoted() -> None:
    assert not decide(CURRENT, CURRENT, SEEDS, candidate="a", current="b").promoted


def test_the_rule_needs_two_seeds() -> None:
    with pytest.raises(WorkshopError, match="two fresh seeds or more .* gives 1. Set JUKEBOX_N"):
        decide([0.31], [0.30], [43], candidate="a", current="b")


def test_both_configurations_need_every_seed() -> None:
    with pytest.raises(ValueError, match="one validation top-5 per seed"):
        decide([0.31, 0.32], [0.30], [43, 44], candidate="a", current="b")
