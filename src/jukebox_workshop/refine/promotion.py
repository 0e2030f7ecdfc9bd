"""Notebook 7's promotion rule, stated once.

A candidate becomes the version to deploy only if its validation top-5 accuracy beats the
current version's by more than the noise between training seeds: `SIGMAS` times the standard
deviation of the current configuration's validation top-5 over a few seeds. A smaller gain
could be luck: the same configuration trained with another seed moves that much.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

SIGMAS = 2.0


@dataclass(frozen=True)
class Decision:
    promoted: bool
    reason: str
    candidate_top5: float
    current_top5: float
    noise: float  # standard deviation of the validation top-5 between seeds
    margin: float  # what the candidate had to beat the current version by

    @property
    def gain(self) -> float:
        return self.candidate_top5 - self.current_top5


def _points(share: float) -> str:
    return f"{share * 100:.2f} points"


def decide(
    candidate_top5: float,
    current_top5: float,
    seed_top5s: Sequence[float],
    *,
    candidate: str,
    current: str,
    sigmas: float = SIGMAS,
) -> Decision:
    """Apply the rule to validation top-5 accuracies (shares, 0 to 1); name the versions."""
    if len(seed_top5s) < 2:
        raise ValueError("The noise between seeds needs the validation top-5 of two seeds or more.")
    noise = statistics.stdev(seed_top5s)
    margin = sigmas * noise
    gain = candidate_top5 - current_top5
    noise_text = (
        f"the noise between seeds ({sigmas:g} x {_points(noise)} = {_points(margin)}, "
        f"{len(seed_top5s)} seeds)"
    )
    promoted = gain > margin
    if promoted:
        reason = (
            f"Version {candidate} has validation top-5 {candidate_top5:.2%}, "
            f"{_points(gain)} above version {current} ({current_top5:.2%}): more than {noise_text}."
        )
    else:
        reason = (
            f"Version {candidate} has validation top-5 {candidate_top5:.2%}, "
            f"{gain * 100:+.2f} points from version {current} ({current_top5:.2%}): not more "
            f"than {noise_text}. Version {current} stays the one to deploy."
        )
    return Decision(promoted, reason, candidate_top5, current_top5, noise, margin)
