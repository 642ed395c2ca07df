"""What an applicant reads: reason codes, questions and policy changes in plain words.

The scorer stores codes with parameters (pipelines/scoring.py); the templates call these functions.
Fact names never reach an applicant: labels, questions and values come from the fact catalogue.
"""
from __future__ import annotations

import dataclasses
from functools import lru_cache

from pipelines.publishing import escaping
from pipelines.scoring.score import ScoringParams
from scrapers.facts.catalogue import BY_NAME, VALUE_WORDS

LEGEND = [
    ("Safety", "your chance here is high even at the low end of its range, and nothing stated rules you out."),
    ("Target", "about an even chance: the bulk of your applications."),
    ("Reach", "a lower chance, but nothing stated rules you out."),
    ("Ask first", "nothing stated rules you out, but a page is silent on something that could: send the question before applying."),
    ("Excluded", "a page states a rule you do not meet today; the reason is given, with the sentence and page."),
]

_REASONS = {
    "visa_open_j1": lambda a, b: "open to you through the J-1 visa",
    "visa_open_h1b": lambda a, b: (f"open to you through the H-1B (Step 3 {'passed' if a == 'passed' else f'expected {a}'}; "
                                   f"needed by {b})"),
    "step2_above": lambda a, b: f"your Step 2 CK is {a} points above the stated floor ({b})",
    "attempts_ok": lambda a, b: f"accepts up to {a} attempt(s) per Step; you needed {b}",
    "yog_ok": lambda a, b: f"accepts graduates of the last {a} years; you graduated {b} years before the Match",
    "usce_not_required": lambda a, b: "does not require US clinical experience",
    "usce_ok": lambda a, b: "requires US clinical experience" + (f" ({a} months)" if a else "") + f"; you have {b} months hands-on",
    "ecfmg_ok": lambda a, b: f"needs the ECFMG certificate {VALUE_WORDS.get(a, a)}; your timing meets it",
    "img_share": lambda a, b: f"{a}% of current residents are IMGs ({b} with a known medical school)",
    "accepts_imgs": lambda a, b: BY_NAME["accepts_imgs"].true_text,
    "pref_state": lambda a, b: f"in {a}, one of your preferred states",
    "pref_region": lambda a, b: f"in the {a}, one of your preferred regions",
    "index": lambda a, b: f"IMG-friendliness index {a}/100 ({b} of 100 points rest on known facts)",
}

_EXCLUSIONS = {
    "visa_j1_closed": ("does not take the J-1 visa", lambda a, b: BY_NAME["sponsors_j1"].false_text),
    "visa_h1b_closed": ("does not sponsor the H-1B", lambda a, b: BY_NAME["sponsors_h1b"].false_text),
    "visa_h1b_step3": ("H-1B needs Step 3 passed in time", lambda a, b: (
        f"the H-1B needs USMLE Step 3 passed by {a}; " + (f"you expect it in {b}" if b else "you have not passed it yet"))),
    "no_imgs": ("does not accept IMGs", lambda a, b: BY_NAME["accepts_imgs"].false_text),
    "step2_no_score": ("Step 2 CK floor, no score yet", lambda a, b: f"requires Step 2 CK of at least {a} and you have no score yet"),
    "step2_floor": ("Step 2 CK floor above your score", lambda a, b: f"its Step 2 CK floor ({a}) is {b} points above your score"),
    "step1_floor": ("Step 1 floor above your score", lambda a, b: f"its Step 1 floor ({a}) is above your score ({b})"),
    "attempts": ("attempt limit", lambda a, b: f"accepts at most {a} attempt(s) per Step; you need {b}"),
    "yog": ("graduation cutoff", lambda a, b: f"accepts graduates of the last {a} years; you graduated {b} years before the Match"),
    "usce_none": ("needs hands-on US clinical experience", lambda a, b: "requires hands-on US clinical experience"),
    "usce_months": ("needs more US clinical experience", lambda a, b: f"requires {a} months of hands-on US clinical experience; you have {b}"),
    "ecfmg_application": ("ECFMG certificate when applying", lambda a, b: "requires the ECFMG certificate when you apply"),
    "ecfmg_rank": ("ECFMG certificate by the rank list", lambda a, b: f"requires the ECFMG certificate by the rank list deadline ({a})"),
    "ecfmg_start": ("ECFMG certificate before training", lambda a, b: f"requires the ECFMG certificate before training starts ({a})"),
}

# the months are the scorer's parameter (ScoringParams.usce_months_variant), not written again here
_USCE_MONTHS = next(f.default for f in dataclasses.fields(ScoringParams) if f.name == "usce_months_variant")

OPENERS = {
    "step3": "with USMLE Step 3 passed in time",
    "j1_instead": "on a J-1 visa instead of an H-1B",
    "ecfmg": "with your ECFMG certificate in hand",
    "usce": f"with {_USCE_MONTHS} months of hands-on US clinical experience",
}


def _get(item, key):
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def shorten(sentence: str | None, limit: int = 180) -> str:
    if not sentence:
        return ""
    s = " ".join(sentence.split())
    return s if len(s) <= limit else s[: limit - 1].rsplit(" ", 1)[0] + "…"


def reason(item) -> str:
    render = _REASONS.get(_get(item, "code"))
    return render(_get(item, "a"), _get(item, "b")) if render else str(_get(item, "code"))


def exclusion(item) -> str:
    entry = _EXCLUSIONS.get(_get(item, "code"))
    return entry[1](_get(item, "a"), _get(item, "b")) if entry else str(_get(item, "code"))


def exclusion_group(code: str) -> str:
    return _EXCLUSIONS.get(code, (code,))[0]


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
