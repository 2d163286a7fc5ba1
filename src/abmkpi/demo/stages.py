"""Sales stages of demo opportunities and the paths deals take through them.

A deal starts in Prospecting or Qualification and moves one stage at a time
after a log-normal dwell. Some deals skip a stage, such as Qualification
straight to Proposal or Proposal straight to Closed Won. Some move back one
stage, as a proposal reopened for more needs analysis does. Some stall in
one stage for three to eight times its usual dwell. Whether a deal is won is
decided when it is created. A lost deal is lost at a stage it reaches, after
staying there three times the usual dwell, because buyers go quiet before
they decline. So lost deals close about as late as won ones, as in a real
pipeline, rather than weeks earlier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

OPEN_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal",
    "Negotiation",
)
WON_STAGE = "Closed Won"
LOST_STAGE = "Closed Lost"
PROPOSAL = OPEN_STAGES.index("Proposal")

STAGE_PROBABILITY = {
    "Prospecting": 10.0,
    "Qualification": 20.0,
    "Needs Analysis": 40.0,
    "Proposal": 60.0,
    "Negotiation": 80.0,
    WON_STAGE: 100.0,
    LOST_STAGE: 0.0,
}

# Median days in each open stage; actual stays are log-normal around them.
_DWELL_MEDIAN_DAYS = (7.0, 10.0, 14.0, 12.0, 9.0)
_DWELL_SIGMA = 0.6
_SKIP_CHANCE = 0.10
_REGRESS_CHANCE = 0.08
_MAX_REGRESSIONS = 2
# Some deals stall in one stage for several times its usual dwell.
_STALL_CHANCE = 0.15
_STALL_FACTOR = (3.0, 8.0)
# A lost deal stays this many usual dwells in the stage it is lost at.
_LOSS_DWELL_FACTOR = 3.0
# Relative chance that a lost deal is lost at each stage, when it can reach all.
_LOSS_STAGE_WEIGHTS = np.array([0.25, 0.25, 0.2, 0.18, 0.12])


@dataclass(frozen=True)
class StageStep:
    stage: str
    days: float  # after the opportunity was created


def sort_order(stage: str) -> int:
    if stage in OPEN_STAGES:
        return OPEN_STAGES.index(stage) + 1
    return len(OPEN_STAGES) + (1 if stage == WON_STAGE else 2)


def is_closed(stage: str) -> bool:
    return stage in (WON_STAGE, LOST_STAGE)


def simulate_path(
    rng: np.random.Generator, won: bool, first: int, speed: float
) -> list[StageStep]:
    """Return the stage changes of one deal, from creation to close."""
    loss_stage = _loss_stage(rng, first) if not won else len(OPEN_STAGES)
    stall_stage = -1
    if rng.random() < _STALL_CHANCE:
        stall_stage = int(
            rng.integers(first, min(loss_stage, len(OPEN_STAGES) - 1) + 1)
        )
    stage, days, regressions = first, 0.0, 0
    steps = [StageStep(OPEN_STAGES[stage], 0.0)]
    while True:
        dwell = (
            _DWELL_MEDIAN_DAYS[stage]
            * speed
            * float(np.exp(rng.normal(0, _DWELL_SIGMA)))
        )
        if stage == stall_stage:
            dwell *= rng.uniform(*_STALL_FACTOR)
            stall_stage = -1
        if stage == loss_stage:
            steps.append(StageStep(LOST_STAGE, days + dwell * _LOSS_DWELL_FACTOR))
            return steps
        days += dwell
        roll = rng.random()
        if roll < _REGRESS_CHANCE and stage >= 2 and regressions < _MAX_REGRESSIONS:
            stage -= 1
            regressions += 1
        elif roll < _REGRESS_CHANCE + _SKIP_CHANCE and stage + 2 <= loss_stage:
            stage += 2
        else:
            stage += 1
        if stage >= len(OPEN_STAGES):
            steps.append(StageStep(WON_STAGE, days))
            return steps
        steps.append(StageStep(OPEN_STAGES[stage], days))


def _loss_stage(rng: np.random.Generator, first: int) -> int:
    weights = _LOSS_STAGE_WEIGHTS[first:]
    return first + int(rng.choice(len(weights), p=weights / weights.sum()))


def typical_cycle_days(first: int, speed: float) -> float:
    """Return the days a deal takes when it stays the median time everywhere."""
    return sum(_DWELL_MEDIAN_DAYS[first:]) * speed


def stage_table() -> pa.Table:
    """Return opportunity_stages rows: every stage with its order and flags."""
    stages = [*OPEN_STAGES, WON_STAGE, LOST_STAGE]
    return pa.table(
        {
            "source_system": ["demo"] * len(stages),
            "stage": stages,
            "sort_order": [sort_order(stage) for stage in stages],
            "is_closed": [is_closed(stage) for stage in stages],
            "is_won": [stage == WON_STAGE for stage in stages],
            "probability": [STAGE_PROBABILITY[stage] for stage in stages],
            "is_active": [True] * len(stages),
        }
    )
