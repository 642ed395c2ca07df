"""What an applicant reads: reason codes, questions and policy changes in plain words.

The scorer stores codes with parameters; each code's words are declared with its rule
(pipelines/scoring/gates.py) and the templates call these functions.
Fact names never reach an applicant: labels, questions and values come from the fact catalogue.
"""
from __future__ import annotations

from functools import lru_cache

from pipelines.publishing import escaping
from pipelines.scoring import gates
from pipelines.scoring.params import ScoringParams
from scrapers.facts.catalogue import BY_NAME, VALUE_WORDS

plural = gates.plural

_TIERS_NOTE = ("SmartPick's judgement from five signals, not probabilities: the residents' roster, your margin "
               "over a stated Step 2 CK floor, your visa stated as sponsored, the program's size and the specialty's "
               "IMG match rate.")
LEGEND = [
    ("Safety", "at least three signals count for this program and none against, and nothing stated rules you out."),
    ("Target", "more signals count for this program than against it, and nothing stated rules you out."),
    ("Reach", "as many signals count against it as for it, or none is known either way; nothing stated rules you out."),
    ("Open with Step 3", "the program states it sponsors the H-1B; it is open to you once USMLE Step 3 is passed by its "
                         "date (the page's own, or SmartPick's assumption, labelled as such)."),
    ("Ask first", "nothing stated rules you out, but a page is silent on something that could: send the question before applying."),
    ("Excluded", "a page states a rule you do not meet today; the reason is given, with the sentence and page."),
]


def legend(specs=None) -> list[tuple[str, str]]:
    """The legend for the rows a list shows: "Open with Step 3" only where such rows exist."""
    step3 = specs is None or any(s.get("step3") for s in specs)
    return [(t, x) for t, x in LEGEND if t != "Open with Step 3" or step3] + [("Tiers", _TIERS_NOTE)]


_PARAM_WORDS = gates.parameter_values(ScoringParams.for_today())


@lru_cache(maxsize=4096)  # a few dozen combinations of signals, in millions of rows
def because(up: int | None, down: int | None) -> str:
    """The signals behind a listed program's tier in one line; empty when none is known either way."""
    words = _PARAM_WORDS
    up_, down_ = up or 0, down or 0
    pos = [sig.up_words.format(**words) for i, sig in enumerate(gates.SIGNALS) if up_ & (1 << i)]
    neg = [sig.down_words.format(**words) for i, sig in enumerate(gates.SIGNALS) if down_ & (1 << i)]
    parts = ([f"for: {'; '.join(pos)}"] if pos else []) + ([f"against: {'; '.join(neg)}"] if neg else [])
    return " · ".join(parts)


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
    return escaping.mailto(address, QUESTIONS_MAIL["subject"] + program_name + (QUESTIONS_MAIL["sample"] if sample else ""),
                           QUESTIONS_MAIL["intro"] + "\n".join(f"- {question(f)}" for f in facts) + QUESTIONS_MAIL["outro"])


# the message to a program with its open questions; the page's script writes the same from these
QUESTIONS_MAIL = {"subject": "Question from an applicant: ", "sample": " [SAMPLE]",
                  "intro": "Dear Program Coordinator,\n\nBefore applying through ERAS I would be grateful for answers to:\n",
                  "outro": "\n\nThank you."}


def opener(change: str, listed: int, ask_first: int = 0) -> str:
    """What one change would open: programs it would list, and apart, programs it would only move to ask first."""
    parts = ([f"{plural(listed, 'more program')} listed"] if listed else []) + (
        [f"{plural(ask_first, 'more program')} to ask first (a page is silent on another rule)"] if ask_first else [])
    return f"{OPENERS.get(change, change)}: {', and '.join(parts) if parts else 'no more programs'}"


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


def fact_words(fact: str, value) -> str:
    """A fact's value as the warehouse keeps it in text ('true', '230', 'rank'), in words; "not stated" for none."""
    spec = BY_NAME[fact]
    typed = _typed(spec, value)
    return "not stated" if typed is None else spec.value_words(typed)


def _typed(spec, value):
    if value is None:
        return None
    if spec.kind == "boolean":
        return str(value).lower() == "true"
    if spec.kind == "integer":
        return int(float(value))
    return value
