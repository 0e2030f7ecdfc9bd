"""The promotion rule: better by more than the noise between seeds, or the current version stays."""

from __future__ import annotations

import statistics

import pytest

from jukebox_workshop.refine.promotion import SIGMAS, decide

SEEDS = [0.300, 0.304, 0.302]  # the current configuration's validation top-5 over three seeds
NOISE = statistics.stdev(SEEDS)  # 0.002: the rule asks for more than 0.4 points


def test_a_gain_above_the_noise_promotes() -> None:
    decision = decide(0.310, 0.301, SEEDS, candidate="new", current="old")
    assert decision.promoted
    assert decision.noise == pytest.approx(NOISE) and decision.margin == pytest.approx(2 * NOISE)
    assert decision.gain == pytest.approx(0.009)
    assert decision.reason == (
        "Version new has validation top-5 31.00%, 0.90 points above version old (30.10%): "
        "more than the noise between seeds (2 x 0.20 points = 0.40 points, 3 seeds)."
    )


def test_a_gain_within_the_noise_keeps_the_current_version() -> None:
    decision = decide(0.304, 0.301, SEEDS, candidate="new", current="old")
    assert not decision.promoted
    assert "+0.30 points from version old" in decision.reason
    assert decision.reason.endswith("Version old stays the one to deploy.")


def test_a_worse_candidate_is_not_promoted() -> None:
    decision = decide(0.290, 0.301, SEEDS, candidate="new", current="old")
    assert not decision.promoted and "-1.10 points" in decision.reason


def test_exactly_the_margin_is_not_enough() -> None:
    assert SIGMAS == 2
    assert not decide(0.30 + 2 * NOISE, 0.30, SEEDS, candidate="a", current="b").promoted


def test_the_noise_needs_two_seeds() -> None:
    with pytest.raises(ValueError, match="two seeds or more"):
        decide(0.31, 0.30, [0.30], candidate="a", current="b")
