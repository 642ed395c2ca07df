"""The scoring model's parameters: one place for every constant the SQL, the gates' words and the docs use."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ScoringParams:
    """Model constants. Judgement calls (not from a source) are marked so in docs/scoring.md."""

    match_year: int
    rank_deadline: dt.date
    training_start: dt.date
    h1b_step3_deadline: dt.date  # H-1B petitions are filed ~90 days before July 1: Step 3 must be in by then
    # tiers: named, program-relative signals (gates.SIGNALS), each a judgement call (docs/scoring.md)
    safety_signals: int = 3  # safety: at least this many signals for, none against
    floor_margin_up: int = 10  # Step 2 CK this many points or more over a stated floor counts for
    floor_margin_down: int = 5  # fewer points than this over a stated floor counts against
    rate_up: float = 0.50  # the specialty matches at least half of the non-US IMGs who prefer it (NRMP)
    rate_down: float = 0.30  # fewer than three in ten
    # the fit order, after the signals: the applicant's own places and program type
    fit_state: float = 0.15
    fit_region: float = 0.10
    fit_type: float = 0.05
    # the specialty chance as shown: rounded to 5 points, its range widened by this (the model's own
    # weakness: NRMP's tables leave out applicants never interviewed) and always holding the specialty's rate
    chance_step: int = 5
    range_margin: float = 0.05
    small_cohort: int = 30  # fewer IMGs than this behind a specialty's figures: counts in words, no percentage
    yog_ask_after: int = 3  # judgement: graduation cutoffs of 3 years or fewer are common enough to ask about
    usce_months_variant: int = 12  # "what would open most": the longest stated USCE minimum on real pages

    @staticmethod
    def for_today(today: dt.date | None = None) -> "ScoringParams":
        today = today or dt.date.today()
        year = today.year + 1 if today.month >= 7 else today.year  # the Match of the current season
        return ScoringParams(match_year=year, rank_deadline=dt.date(year, 3, 4), training_start=dt.date(year, 7, 1),
                             h1b_step3_deadline=dt.date(year, 4, 1))


def default(name: str):
    """A parameter's default, for words written before any run chooses its parameters."""
    return next(f.default for f in dataclasses.fields(ScoringParams) if f.name == name)
