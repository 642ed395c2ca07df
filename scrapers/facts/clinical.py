"""usce_required, usce_min_months: US clinical experience.

LABELING.md: required (of any kind the page accepts) -> true; "not required" even if preferred ->
false; preferred / encouraged only, "the US or another English-speaking country", or prior
residency training -> null. Durations in months (4 weeks = 1, one year = 12); durations that do not
convert to whole months -> null.
"""
from __future__ import annotations

import re

from scrapers.facts import Candidate, Strength
from scrapers.facts import vocabulary as v
from scrapers.facts.assertions import CONDITIONAL, HEDGE, HEDGED_HEADING

N = v.N
US = r"(?:u\.?\s?s\.?a?|us|united states|american)"
MENTION = re.compile(
    rf"\busce\b|\b{US}\s+(?:based\s+)?(?:hands-on\s+)?(?:clinical|healthcare|health care|patient[- ]care|medical)?\s*(?:experience|rotations?|clerkships?)\b"
    rf"|\b(?:clinical|hands-on|patient[- ]care)\b[\w\s,'-]{{0,60}}?\b(?:experience|rotations?|clerkships?)\b[^.]{{0,100}}?\bin (?:the )?(?:{US})\b(?!\s+or another)"
    rf"|\bexperience in (?:the )?{US}\s+(?:medical|health ?care) system\b|\b{US} hands-on\b", re.I)
REQUIRED = re.compile(r"\brequired\b|\bmust\b|\bmandatory\b|\brequirement\b|\bneed(?:s|ed)?\b|\bminimum\b|\bat least\b|\bessential\b|\brequires?\b", re.I)
NOT_REQUIRED = re.compile(r"\bnot (?:required|necessary|mandatory|a requirement|needed|require)\b|\bis optional\b|\b(?:do|does) not (?:need|require)\b"
                          r"|\bdon't need\b|\bno (?:prior )?(?:usce|u\.?s\.? (?:clinical )?experience|us clinical experience)\s+(?:is\s+)?(?:required|needed|necessary)\b"
                          r"|\bnot (?:an? )?(?:\w+ )?(?:prerequisite|requirement)\b", re.I)
ELSEWHERE = re.compile(r"\bor (?:another|other|an?) (?:english[- ]speaking )?countr|\b(?:uk|u\.k\.|united kingdom)\b|\bor equivalent\b|\benglish[- ]speaking\b"
                       r"|\bor (?:a |an |the |another |any )?(?:\w+ ){0,2}?(?:medical|health ?care) systems?\b|\bwestern\b|\bor abroad\b|\bor (?:its )?equivalent\b", re.I)
PRIOR_GME = re.compile(r"\binternship\b|\bresidency\b|\bpgy-?\d\b|\bgraduate medical education\b|\bpostgraduate\b", re.I)

TRIGGER = re.compile(r"usce|experience|rotation|clerkship|hands-on", re.I)  # a sentence without these words cannot concern this fact

def _months(text: str) -> int | None:
    found = [(v.num(m.group(1)), "m") for m in re.finditer(rf"\b{N}(?:\s*(?:-|to)\s*{N})?[\s-]+months?\b", text, re.I)]
    found += [(v.num(m.group(1)), "w") for m in re.finditer(rf"\b{N}[\s-]+weeks?(?:'s)?\b", text, re.I)]
    found += [(v.num(m.group(1)), "y") for m in re.finditer(rf"\b{N}[\s-]+years?\b", text, re.I)]
    if len(found) != 1:
        return None
    n, unit = found[0]
    if unit == "m":
        return n
    if unit == "y":
        return 12 * n if n <= 3 else None
    return n // 4 if n % 4 == 0 else None


def read(unit, doc):
    if unit.kind in ("question", "heading"):
        return
    text, question = unit.text, unit.question
    asked = unit.kind == "answer" and unit.first and MENTION.search(question or "")
    if not (MENTION.search(text) or asked):
        return
    if NOT_REQUIRED.search(text) or (asked and v.NO.search(text) and re.search(r"\bneed|\brequire|\bmandatory", question, re.I)):
        yield Candidate("usce_required", False, Strength.STATED, f"{question} {text}".strip() if asked else text)
        return
    frame = " ".join((*unit.headings, unit.lead))
    if HEDGE.search(text) or HEDGED_HEADING.search(frame) or CONDITIONAL.search(text) or ELSEWHERE.search(text):
        return
    if re.search(r"\bobservership", text, re.I) and not REQUIRED.search(text):
        return
    if PRIOR_GME.search(text) and not MENTION.search(re.sub(PRIOR_GME, "", text)):
        return
    if REQUIRED.search(text) or (asked and v.YES.search(text) and re.search(r"\bneed|\brequire", question, re.I)):
        yield Candidate("usce_required", True, Strength.STATED, text)
        months = _months(text)
        if months:
            yield Candidate("usce_min_months", months, Strength.STATED, text)


CASES = [
    ("US clinical experience is required.", {"usce_required": True, "usce_min_months": None}),
    ("Applicants need a minimum of 3 months of hands-on clinical experience in the United States.", {"usce_required": True, "usce_min_months": 3}),
    ("At least one year of US clinical experience is required.", {"usce_required": True, "usce_min_months": 12}),
    ("USCE of 8 weeks minimum is required.", {"usce_required": True, "usce_min_months": 2}),
    ("US clinical experience is not required, but it helps.", {"usce_required": False}),
    ("Prior clinical experience in the U.S. is not required to apply.", {"usce_required": False}),
    ("Having US clinical experience is not a prerequisite for our interviews.", {"usce_required": False}),
    ("Is US clinical experience required?\nNo.", {"usce_required": False}),
    ("We strongly prefer US clinical experience.", {"usce_required": None}),
    ("Clinical experience in the US or another English-speaking country is required.", {"usce_required": None}),
    ("If you graduated more than a year ago, US clinical experience is required.", {"usce_required": None}),
    ("US clinical experience is required. We prefer a minimum of 2 months.", {"usce_required": True, "usce_min_months": None}),
    ("Four months of patient care in the US or a comparable health care system is required.", {"usce_required": None, "usce_min_months": None}),
    ("Is US clinical experience required?\nIt varies from one of our programs to the next.", {"usce_required": None}),
]
