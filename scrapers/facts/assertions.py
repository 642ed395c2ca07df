"""What kind of statement a clause makes: only a clause that asserts a rule sets a fact.

LABELING.md: a rule is stated with must / require / only / minimum / at least / no more than /
will not / not eligible, or as a Yes / No answer. A preference (prefer, encourage, ideally, look
for, competitive, "will consider", "case by case"), a description (averages, "most of our
residents", "successful applicants have"), a rule for a narrow group ("if you graduated more than
a year ago") and a list titled "Preferred criteria" state no rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from scrapers.facts import vocabulary as v

HEDGE = re.compile(
    r"\bprefer\w*|\bpreference\b|\bencourag\w*|\bideal(?:ly)?\b|\btypical(?:ly)?\b|\brecommend\w*|\bfavou?r\w*"
    r"|\bcompetitive\b|\badvantage\w*|\bdesir\w*|\bhelpful\b|\bbeneficial\b|\badvis\w*|\bsuggest\w*|\bpriority\b"
    r"|\bgenerally\b|\busually\b|\bstrongly\b|\blook(?:s|ing)? for\b|\bwill (?:also )?consider\b|\bmay (?:be )?consider\w*"
    r"|\bconsidered (?:for|on)\b|\bcase[- ]by[- ]case\b|\bindividual basis\b|\bhope\w*\b|\bcertain (?:situations|circumstances|cases)\b"
    r"|\bcannot guarantee\b|\bnot guaranteed\b|\b(?:e\.g\.?|eg|for example|example)\b|\bwe like\b|\bideal candidate|\bwould like\b", re.I)
HEDGED_HEADING = re.compile(r"\b(?:preferred|suggested|recommended|desired|desirable|competitive|ideal)\b", re.I)
DESCRIPTIVE = re.compile(
    r"\baverage\b|\bmean\b|\bmedian\b|\branged?\b|\bmost (?:of )?(?:our )?(?:residents|applicants|interns|candidates)\b"
    r"|\bour (?:current )?(?:residents|interns|class)\b|\bmatched (?:residents|applicants)\b|\binterviewed applicants\b"
    r"|\bsuccessful (?:applicants|candidates)\b|\bhistorically\b|\bin the past\b|\bpercentile\b", re.I)
NEGATION = re.compile(
    r"\b(?:do|does|did|will|would|can|could|are|is|was|were|shall)\s*(?:not|n't)\b|\b(?:don't|doesn't|won't|can't|cannot|unable|no longer|never)\b"
    r"|\bnot\s+(?:able|eligible|available|offered|accepted|sponsored|supported|provided|possible|consider\w*)\b"
    r"|\bnone\b|\bno\s+(?=(?:j|h|visa|sponsor|exceptions? for))", re.I)
CONDITIONAL = re.compile(r"\bif\b(?!\s+(?:applicable|available|any|necessary|needed|required)\b)|\bunless\b|\bthose who\b"
                         r"|\bapplicants who (?:graduated|have been out|are)\b|\bfor (?:those|applicants|candidates) (?:who|with|coming)\b", re.I)
RULE = re.compile(r"\bmust\b|\brequire\w*|\bmandatory\b|\bonly\b|\bminimum\b|\bat least\b|\bno (?:more|less|greater|fewer) than\b"
                  r"|\bnot (?:more|less) than\b|\bwill not\b|\bdo not\b|\bnot eligible\b|\bineligible\b|\bshould\b|\bneed\w*\b|\bcut-?off\b|\bmaximum\b|\bwithin\b|\bexpect\w*\b", re.I)


@dataclass(frozen=True)
class Assertion:
    negated: bool = False
    hedged: bool = False
    descriptive: bool = False
    conditional: bool = False
    exclusive: bool = False
    steps: frozenset = frozenset()  # the USMLE steps the clause names: {"1", "2", "2cs", "3"}

    @property
    def states_rule(self) -> bool:
        return not (self.hedged or self.descriptive or self.conditional)


def steps_named(clause: str) -> frozenset:
    found = set()
    if v.STEP1.search(clause):
        found.add("1")
    for m in v.STEP2_ANY.finditer(clause):
        found.add("2cs" if re.search(r"cs|clinical skills", m.group(0), re.I) else "2")
    if v.CSA.search(clause):
        found.add("2cs")
    if v.STEP3.search(clause):
        found.add("3")
    if v.BOTH_STEPS.search(clause):
        found.update({"1", "2"})
    return frozenset(found)


def classify(clause: str, context: str = "") -> Assertion:
    """`context` is the unit's heading path and list lead: a hedged heading hedges its list."""
    return Assertion(
        negated=bool(NEGATION.search(clause)),
        hedged=bool(HEDGE.search(clause) or HEDGED_HEADING.search(context)),
        descriptive=bool(DESCRIPTIVE.search(clause)),
        conditional=bool(CONDITIONAL.search(clause)),
        exclusive=bool(re.search(r"\bonly\b|\bexclusively\b|\bsolely\b", clause, re.I)),
        steps=steps_named(clause),
    )


CASES = [
    # (clause, context, expected flags that must be true, flags that must be false)
    ("Applicants must have passed Step 2 CK with 220 or higher", "", {"steps": {"2"}}, {"hedged", "negated"}),
    ("We prefer applicants within three years of graduation", "", {"hedged"}, {"negated"}),
    ("Graduated within 5 years", "Suggested criteria for application", {"hedged"}, set()),
    ("Our residents' average Step 2 CK score is 245", "", {"descriptive"}, {"hedged"}),
    ("Most of our applicants score 230 or above", "", {"descriptive"}, set()),
    ("We do not sponsor H-1B visas", "", {"negated"}, {"hedged"}),
    ("We will consider H-1B sponsorship in certain situations", "", {"hedged"}, {"negated"}),
    ("US clinical experience is required if you graduated more than a year ago", "", {"conditional"}, set()),
    ("ECFMG certificate, if applicable", "", set(), {"conditional"}),
    ("We sponsor the J-1 visa only", "", {"exclusive"}, {"negated"}),
    ("Step 1 passed in no more than two attempts", "", {"steps": {"1"}}, set()),
    ("Passing the CSA on the first attempt", "", {"steps": {"2cs"}}, set()),
    ("Scores above 230 are an example of a strong application", "", {"hedged"}, set()),
    ("Sponsorship is not guaranteed for anyone", "", {"hedged"}, set()),
]
