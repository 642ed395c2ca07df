"""yog_max_years: the most years since medical school graduation.

LABELING.md: "graduated within the past 5 years" -> 5; an absolute year ("2015 or later") and soft
wording give null; a rule with an exception clause still counts; a direct answer to a cutoff
question states the cutoff even when it says "we consider".
"""
from __future__ import annotations

import re

from scrapers.facts import Candidate, Strength
from scrapers.facts import vocabulary as v
from scrapers.facts.assertions import DESCRIPTIVE, HEDGED_HEADING

N = v.N
GRAD = re.compile(r"\bgraduat\w*|\byog\b|\bmedical school\b|\bmedical degree\b|\bout of (?:medical )?school\b", re.I)
SOFT = re.compile(r"\bprefer\w*|\bpreference\b|\bencourag\w*|\bideal(?:ly)?\b|\btypical(?:ly)?\b|\brecommend\w*|\bfavou?r\w*|\bcompetitive\b"
                  r"|\bdesir\w*|\bstrongly\b|\bgenerally\b|\bno (?:definite|strict|firm|hard)\b|\bsuggest\w*|\blook for\b|\bpriority\b", re.I)
BLOCK_SOFTENER = re.compile(r"\bunfavou?rabl\w*|\bless favou?rabl\w*|\bnot (?:a )?(?:strict|hard|absolute|firm)\b|\bflexib\w*|\bdisadvantage", re.I)
CONSIDER = re.compile(r"\bconsider\w*\b|\bwelcome\b", re.I)
LIMIT = re.compile(rf"\b(?:within|no more than|not more than|less than|fewer than|maximum of|up to|no later than|no greater than|not greater than|last|past"
                   rf"|cannot exceed|can not exceed|may not exceed|must not exceed|should not exceed|not to exceed|more than|over)\s+(?:the\s+)?(?:last\s+|past\s+)?{N}\s+years?\b"
                   rf"|\b{N}\s+years?\s+(?:or (?:less|fewer)|maximum|max)\b|\b{N}[- ]years?\s+(?:cut-?off|limit)\b", re.I)
CUTOFF_QUESTION = re.compile(r"\bcut-?off\b|\bhow long\b|\blimit\b|\byears? (?:since|from|after|of) graduation\b|\bgraduation (?:date|year)\b|\bhow (?:recent|many years)", re.I)

TRIGGER = re.compile(r"graduat|\byog\b|out of (?:medical )?school|medical degree", re.I)  # a sentence without these words cannot concern this fact

def read(unit, doc):
    if unit.kind in ("question", "heading"):
        return
    original = unit.text
    sent = v.IMG.sub("IMG", original)  # "international medical graduates" says nothing of a graduation year
    frame = " ".join((*unit.headings, unit.lead))
    if not GRAD.search(sent) or SOFT.search(sent) or HEDGED_HEADING.search(frame) or DESCRIPTIVE.search(sent):
        return
    answers_cutoff = unit.kind == "answer" and CUTOFF_QUESTION.search(unit.question)
    if CONSIDER.search(sent) and not answers_cutoff:
        return
    if BLOCK_SOFTENER.search(doc.block_text(unit)):
        return  # "…within five years. Longer gaps are viewed unfavourably": the limit is soft
    if re.search(r"\bexperience within\b|\bwithin the last \w+ years? of (?:clinical|practice)", sent, re.I):
        return
    for m in LIMIT.finditer(sent):
        tail = sent[m.end(): m.end() + 60]
        head = sent[max(0, m.start() - 80): m.start()]
        if not (GRAD.search(tail) or GRAD.search(head)):
            continue
        if re.search(r"\b(?:usmle|scores?|step|exam|experience|practice|clinical)\b", tail[:25], re.I):
            continue
        if re.match(r"\s*(?:more than|over)\b", m.group(0), re.I) and not re.search(r"\bnot\b|\bno\b|\bcannot\b|\bineligible\b", head + m.group(0), re.I):
            continue  # "more than 5 years" is a limit only when negated ("must not be out ... more than 5 years")
        n = v.num(next(g for g in m.groups() if g))
        if 1 <= n <= 20:
            yield Candidate("yog_max_years", n, Strength.EXPLICIT if answers_cutoff else Strength.STATED, original)
            return


CASES = [
    ("Applicants must have graduated within the past 5 years.", {"yog_max_years": 5}),
    ("Graduation from medical school must be no more than three (3) years before the start of training.", {"yog_max_years": 3}),
    ("Your graduation may be no more than 4 years before residency begins.", {"yog_max_years": 4}),
    ("You must not be out of medical school for more than 6 years.", {"yog_max_years": 6}),
    ("We prefer graduates within the last 3 years.", {"yog_max_years": None}),
    ("Most of our residents start within 5 years of graduating.", {"yog_max_years": None}),
    ("Graduates from 2018 or later are eligible.", {"yog_max_years": None}),
    ("Is there a graduation cutoff?\nWe consider candidates who graduated within the last seven years.", {"yog_max_years": 7}),
    ("Graduated within the last 2 years; exceptions are made for applicants with recent clinical work.", {"yog_max_years": 2}),
    ("Preferred criteria\n- Graduated within the past 5 years", {"yog_max_years": None}),
    ("International medical graduates within 3 years of USMLE completion.", {"yog_max_years": None}),
    ("No greater than two years post-graduation from medical school.", {"yog_max_years": 2}),
    ("Applicants should have graduated within the past four years. Longer gaps are viewed unfavorably.", {"yog_max_years": None}),
]
