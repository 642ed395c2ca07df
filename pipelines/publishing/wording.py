"""What an applicant reads: reason codes, questions and policy changes in plain words.

The scorer stores codes with parameters; each code's words are declared with its rule
(pipelines/scoring/gates.py) and the templates call these functions.
Fact names never reach an applicant: labels, questions and values come from the fact catalogue.
"""
from __future__ import annotations

from functools import lru_cache

from pipelines.publishing import escaping
from pipelines.scoring import gates
from scrapers.facts.catalogue import BY_NAME, VALUE_WORDS

LEGEND = [
    ("Safety", "your chance here is high even at the low end of its range, and nothing stated rules you out."),
    ("Target", "about an even chance: the bulk of your applications."),
    ("Reach", "a lower chance, but nothing stated rules you out."),
    ("Ask first", "nothing stated rules you out, but a page is silent on something that could: send the question before applying."),
    ("Excluded", "a page states a rule you do not meet today; the reason is given, with the sentence and page."),
]

OPENERS = {change: words for change, (_when, _assignments, words) in gates.OPENERS.items()}


def _get(item, key):
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def shorten(sentence: str | None, limit: int = 180) -> str:
    if not sentence:
        return ""
    s = " ".join(sentence.split())
    return s if len(s) <= limit else s[: limit - 1].rsplit(" ", 1)[0] + "…"


def reason(item) -> str:
    rule = gates.REASON_BY_CODE.get(_get(item, "code"))
    return rule.words(_get(item, "a"), _get(item, "b")) if rule else str(_get(item, "code"))


def exclusion(item) -> str:
    rule = gates.BY_CODE.get(_get(item, "code"))
    return rule.words(_get(item, "a"), _get(item, "b")) if rule else str(_get(item, "code"))


def exclusion_group(code: str) -> str:
    rule = gates.BY_CODE.get(code)
    return rule.heading if rule else code


def question(fact: str) -> str:
    return BY_NAME[fact].question


def label(fact: str) -> str:
    return BY_NAME[fact].label


def mailto(address: str | None, program_name: str, facts: list[str], sample: bool) -> str | None:
    """A ready-to-send email to the program: subject and body with the questions its pages leave open."""
    return _mailto(address or "", program_name, tuple(facts), sample)


# a list shows hundreds of programs and the same few question sets: each link is built once
@lru_cache(maxsize=65536)
def _mailto(address: str, program_name: str, facts: tuple, sample: bool) -> str | None:
    """None when the program's address is not one plain address: the page then shows it as text only."""
    return escaping.mailto(address, f"Question from an applicant: {program_name}" + (" [SAMPLE]" if sample else ""),
                           "Dear Program Coordinator,\n\nBefore applying through ERAS I would be grateful for answers to:\n"
                           + "\n".join(f"- {question(f)}" for f in facts) + "\n\nThank you.")


def opener(change: str, n: int) -> str:
    return f"{OPENERS.get(change, change)}: {n} more program{'s' if n != 1 else ''}"


def policy_change(fact: str, old, new) -> str:
    """"no longer sponsors the H-1B visa", "now requires US clinical experience", "Step 2 CK minimum: 220 -> 230"."""
    spec = BY_NAME[fact]
    o, n = _typed(spec, old), _typed(spec, new)
    if spec.kind == "boolean":
        if o is True and n is False:
            return f"no longer {spec.true_text}"
        if o is False and n is True:
            return f"now {spec.true_text}"
        if n is None:
            return f"no longer says: {spec.describe(o)}"
        return f"now says: {spec.describe(n)}"
    if o is None:
        return f"now states {spec.describe(n)}"
    if n is None:
        return f"no longer states {spec.describe(o)}"
    return f"{spec.label}: {VALUE_WORDS.get(o, o)} → {VALUE_WORDS.get(n, n)} {spec.unit}".rstrip()


def _typed(spec, value):
    if value is None:
        return None
    if spec.kind == "boolean":
        return str(value).lower() == "true"
    if spec.kind == "integer":
        return int(float(value))
    return value
