"""Notebook 7's promotion rule, stated once, before the search.

After the search, the best configuration and the version to beat's configuration are both
trained again on the same fresh seeds, which the search never used. The candidate becomes
the version to deploy only if its mean validation top-5 accuracy over those seeds beats the
current version's mean by more than `SIGMAS` standard errors of the difference of the two
means (Welch: each mean's variance between seeds over its number of seeds, added).

What it guards against: the luck of one training seed, and the best-of-N pick (the search's
best trial flatters itself on the very score it was picked by). What it does not: the
search chose the configuration on the validation songs, and the rule compares on them too.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from jukebox_workshop.errors import WorkshopError

SIGMAS = 2.0


@dataclass(frozen=True)
class Decision:
    promoted: bool
    reason: str
    candidate_mean: float  # mean validation top-5 over the fresh seeds
    current_mean: float
    margin: float  # what the candidate's mean had to beat the current version's by
    seeds: tuple[int, ...] = ()
    candidate_top5s: tuple[float, ...] = ()
    current_top5s: tuple[float, ...] = ()

    @property
    def gain(self) -> float:
        return self.candidate_mean - self.current_mean

    def record(self) -> dict[str, bool | float | str]:
        """The decision and its figures as `refinement.json` keeps them and notebook 6
        registers them: single values (lists as JSON text), shares from 0 to 1."""
        return {
            "promoted": self.promoted,
            "promotion_reason": self.reason,
            "promotion_seeds": json.dumps(list(self.seeds)),
            "candidate_seed_validation_top5": json.dumps(
                [round(v, 5) for v in self.candidate_top5s]
            ),
            "parent_seed_validation_top5": json.dumps([round(v, 5) for v in self.current_top5s]),
            "candidate_mean_validation_top5": round(self.candidate_mean, 5),
            "parent_mean_validation_top5": round(self.current_mean, 5),
            "promotion_margin": round(self.margin, 5),
        }


def _points(share: float) -> str:
    return f"{share * 100:.2f} points"


def standard_error_of_difference(a: Sequence[float], b: Sequence[float]) -> float:
    """Welch's standard error of mean(a) - mean(b)."""
    return math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))


def require_seeds(seeds: Sequence[int]) -> None:
    """Refuse fewer than two seeds: one gives no spread to measure the margin with."""
    if len(seeds) < 2:
        raise WorkshopError(
            f"The promotion rule needs two fresh seeds or more to measure the spread between "
            f"seeds, and JUKEBOX_NOISE_SEEDS gives {len(seeds)}. Set JUKEBOX_NOISE_SEEDS to 2 "
            "or more (3 by default)."
        )


def decide(
    candidate_top5s: Sequence[float],
    current_top5s: Sequence[float],
    seeds: Sequence[int],
    *,
    candidate: str,
    current: str,
    sigmas: float = SIGMAS,
) -> Decision:
    """Apply the rule to the validation top-5 accuracies (shares, 0 to 1) of both
    configurations, trained on the same `seeds` (one value per seed, in that order)."""
    if not len(candidate_top5s) == len(current_top5s) == len(seeds):
        raise ValueError("Both configurations need one validation top-5 per seed.")
    require_seeds(seeds)
    candidate_mean = statistics.mean(candidate_top5s)
    current_mean = statistics.mean(current_top5s)
    margin = sigmas * standard_error_of_difference(candidate_top5s, current_top5s)
    gain = candidate_mean - current_mean
    promoted = gain > margin
    seed_text = ", ".join(str(seed) for seed in seeds)
    means = (
        f"Over seeds {seed_text}, version {candidate}'s configuration has mean validation top-5 "
        f"{candidate_mean:.2%}, {gain * 100:+.2f} points from version {current}'s "
        f"({current_mean:.2%})"
    )
    margin_text = f"{sigmas:g} standard errors of the difference ({_points(margin)})"
    if promoted:
        reason = f"{means}: more than {margin_text}."
    else:
        reason = f"{means}: not more than {margin_text}. Version {current} stays the one to deploy."
    return Decision(
        promoted,
        reason,
        candidate_mean,
        current_mean,
        margin,
        tuple(seeds),
        tuple(candidate_top5s),
        tuple(current_top5s),
    )
