"""max_attempts: the most attempts allowed on any USMLE step.

LABELING.md: "first attempt only" / "no failures" as a requirement -> 1; "no more than one
failure" / "within two attempts" -> 2; a state-licensure limit on the page counts. A limit for one
step only, or limits that differ between steps, give null; so do "we look for" and "priority".
Rules emit a limit per scope ("max_attempts@1", "@2", "@2cs", or unscoped); `finish` combines them.
"""
from __future__ import annotations

import re

from scrapers.facts import Candidate, Strength
from scrapers.facts import vocabulary as v
from scrapers.facts.assertions import CONDITIONAL, DESCRIPTIVE, HEDGE, HEDGED_HEADING, about_other_body, steps_named

N = v.N
CONTEXT = re.compile(r"\busmle\b|\bstep\b|\bcomlex\b|\bexam\w*|\bboards?\b|\battempts?\b|\bfail\w*|\btries\b|\bpass\w*|\bcsa\b", re.I)
LICENSURE = re.compile(rf"\b(?:more than|over)\s+{N}\s+(?:times|attempts)\b[^.]*\b(?:not eligible|ineligible|not licensable|cannot|will not|not be considered)"
                       rf"|\b(?:not eligible|ineligible|not licensable|not (?:issue|grant) (?:a |an )?(?:medical )?licen[cs]e|cannot be licensed)\b[^.]*\b(?:more than|over)\s+{N}\s+(?:times|attempts)", re.I)
LIMIT = re.compile(rf"\b(?:maximum|max\.?|no more than|not more than|at most|limit of|up to|within|in)\s+(?:of\s+|number of\s+|the first\s+)?{N}\s+(?:attempts|tries|sittings)\b"
                   rf"|\b{N}\s+attempts\s+(?:or (?:fewer|less)|maximum|max)\b", re.I)
ORDINAL = {"first": 1, "second": 2, "third": 3}
BY_ORDINAL = re.compile(r"\b(?:by|on|in|within) (?:the|their) (second|third) (?:attempt|try|sitting)\b", re.I)
FAILURES = re.compile(rf"\b(?:no more than|not more than|at most|maximum of|only)\s+{N}\s+(?:fail(?:ure|ed attempt|ing attempt|ed)?s?|fails|attempt failures?|unsuccessful attempts?|non-?passing)\b", re.I)
FIRST = re.compile(r"\bfirst[- ]attempt|\b(?:first|1st) (?:exam |test |usmle |board )?(?:attempts?|try|tries)\b|\bfirst (?:try|sitting|time)\b|\bon (?:the|their|a|one) (?:first |single )?attempt\b|\bsingle attempt\b"
                   r"|\bno (?:usmle |exam |step |board )?(?:failures|fails|failed attempts?)\b|\bwithout (?:any )?(?:failures?|failed attempts?)\b"
                   r"|\bnever failed\b|\bno failed\b|\b(?:failures?|fails)\s*:\s*none\b", re.I)

# "any failing score will not be considered": a failure excludes, so only a first pass is accepted
FAILURE_EXCLUDES = re.compile(r"\b(?:any|a) (?:failing|failed) (?:scores?|attempts?|results?|grades?)\b(?:\(s\))?[^.]{0,60}?\b(?:will not|won't|cannot|can't|not be|ineligible|not eligible)\b", re.I)

TRIGGER = re.compile(r"attempt|fail|first (?:try|sitting|time)|tries|times", re.I)  # a sentence without these words cannot concern this fact

def _scope(text: str) -> str:
    steps = steps_named(text) - {"3"}
    if not steps or steps >= {"1", "2"} or re.search(r"\ball\b|\beach\b|\bany\b|\bevery\b", text, re.I):
        return ""
    return "@" + "+".join(sorted(steps))


def _limit(s: str) -> int | None:
    m = LICENSURE.search(s)
    if m:
        return v.num(m.group(1) or m.group(2))
    m = LIMIT.search(s)
    if m:
        return v.num(m.group(1) or m.group(2))
    m = BY_ORDINAL.search(s)
    if m:
        return ORDINAL[m.group(1).lower()]
    m = FAILURES.search(s)
    if m:
        return v.num(m.group(1)) + 1
    if FAILURE_EXCLUDES.search(s):
        return 1
    if FIRST.search(s) and not re.search(r"\bnot (?:required|necessary)\b|\bno (?:minimum|cutoff)\b", s, re.I):
        return 1
    return None


def read(unit, doc):
    text = unit.text
    answers = unit.kind == "answer" and unit.first and CONTEXT.search(unit.question)
    if unit.kind in ("question", "heading") or not (CONTEXT.search(text) or answers):
        return
    frame = " ".join((*unit.headings, unit.lead))
    if HEDGE.search(text) or DESCRIPTIVE.search(text) or HEDGED_HEADING.search(frame) or about_other_body(text):
        return  # a total across all steps is no per-step limit
    if LICENSURE.search(text):
        yield Candidate("max_attempts", _limit(text), Strength.STATED, text)
        return
    if CONDITIONAL.search(text):
        return
    if unit.kind == "answer" and unit.first and v.NO.search(text) and re.search(r"\bfail\w*|\battempts?\b", unit.question, re.I) \
            and re.search(r"\baccept|\bconsider|\bapply|\beligible", unit.question, re.I):
        yield Candidate("max_attempts", 1, Strength.EXPLICIT, f"{unit.question} {text}")
        return
    if unit.kind == "answer" and unit.first and v.YES.search(text) and re.search(r"\brequire|\bmust\b|\bneed", unit.question, re.I) \
            and _limit(unit.question) is not None and not HEDGE.search(text):
        # "Must I pass Steps 1 and 2 on my first attempt? Yes."
        yield Candidate("max_attempts" + _scope(unit.question), _limit(unit.question), Strength.EXPLICIT, f"{unit.question} {text}")
        return
    for clause in re.split(r"\s+and\s+(?=(?:step|usmle|comlex|level|\d)\b)|;|,?\s*\bhowever\b|,?\s+\bbut\b", text, flags=re.I):
        value = _limit(clause)
        if value is None:
            continue
        scope = _scope(clause) if steps_named(clause) else _scope(text if len(re.findall(r"\bstep\b", text, re.I)) <= 1 else clause)
        yield Candidate("max_attempts" + scope, value, Strength.STATED, text)


def finish(cands: list) -> list:
    """An unscoped limit stands; otherwise Step 1 and Step 2 CK must both be limited alike."""
    unscoped = [c for c in cands if c.field == "max_attempts"]
    if unscoped:
        return unscoped
    s1 = {c.value for c in cands if c.field == "max_attempts@1"}
    s2 = {c.value for c in cands if c.field == "max_attempts@2"}
    if len(s1) == 1 and s1 == s2:
        first = next(c for c in cands if c.field == "max_attempts@1")
        return [Candidate("max_attempts", first.value, first.strength, first.sentence)]
    return []


CASES = [
    ("All USMLE steps must be passed on the first attempt.", {"max_attempts": 1}),
    ("No more than one failure on USMLE is allowed.", {"max_attempts": 2}),
    ("Each USMLE step passed within two attempts.", {"max_attempts": 2}),
    ("Step 1 must be passed on the first attempt. Step 2 CK must be passed on the first attempt.", {"max_attempts": 1}),
    ("Step 1 with at most one failure and Step 2 CK with no failures.", {"max_attempts": None}),
    ("Step 1 passed within 2 attempts.", {"max_attempts": None}),
    ("Passing the CSA on the first attempt is required.", {"max_attempts": None}),
    ("We look for first-attempt passes on all exams.", {"max_attempts": None}),
    ("First-attempt passes have priority in our selection.", {"max_attempts": None}),
    ("Suggested criteria\n- No failures on any USMLE exam", {"max_attempts": None}),
    ("The state board will not issue a license to anyone who took a step more than three times.", {"max_attempts": 3}),
    ("All steps must be passed by the second attempt.", {"max_attempts": 2}),
    ("Is it required that Steps 1 and 2 be passed on the 1st attempt?\nYes.", {"max_attempts": 1}),
    ("You must pass Steps 1 and 2 on the first try, even if a later score is outstanding.", {"max_attempts": 1}),
    ("Every step must be passed in two attempts.", {"max_attempts": 2}),
    ("There is no score cutoff; however, an applicant with any failed attempt will not be interviewed.", {"max_attempts": 1}),
    ("We interview only applicants who scored well on their first exam attempts.", {"max_attempts": 1}),
    ("Anyone who has needed more than nine tries across Steps 1, 2 and 3, a combined total, cannot be licensed here.", {"max_attempts": None}),
    ("We accept applicants who failed Step 1 once if Step 2 CK is strong.", {"max_attempts": None}),
]
