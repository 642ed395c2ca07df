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
    safety_threshold: float = 0.60
    target_threshold: float = 0.35
    beta_img_share: float = 2.0
    beta_index: float = 0.5
    fit_state: float = 0.15
    fit_region: float = 0.10
    fit_type: float = 0.05
    overall_img_rate: float = 0.58  # NRMP 2025 non-US IMG match rate (img_match_rates_by_year seed)
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
