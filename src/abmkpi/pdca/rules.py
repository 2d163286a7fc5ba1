"""The low-performer rules, by name (see :mod:`abmkpi.pdca.checks`)."""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    NO_ENGAGEMENT = "no_engagement"
    ENGAGED_WITHOUT_OPPORTUNITY = "engaged_without_opportunity"
    MQA_WITHOUT_FOLLOW_UP = "mqa_without_follow_up"
    STALLED_DEAL = "stalled_deal"
