"""IMG facts: the catalogue, and one rule file per fact group, each with its own table of cases."""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from scrapers.facts.catalogue import BY_NAME, CATALOGUE, FIELDS  # noqa: F401


class Strength(IntEnum):
    """How directly a page says it. The strongest statement of a fact wins; two statements of
    the same strength that disagree are a conflict, and the fact stays null."""
    CONTEXT = 1  # read from surroundings: a status list, a generic "no visas", an ECFMG requirement
    STATED = 2  # a clause asserts the rule
    EXPLICIT = 3  # a direct Yes/No answer to a question about it, or an exclusive "only"


@dataclass(frozen=True)
class Candidate:
    field: str
    value: object
    strength: Strength
    sentence: str
    confidence: str = "stated"  # see catalogue.CONFIDENCES
