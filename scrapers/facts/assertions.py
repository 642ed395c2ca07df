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
    r"|\bcannot guarantee\b|\bnot guaranteed\b|\b(?:e\.g\.?|eg|for example|example)\b|\bwe like\b|\bideal candidate|\bwould like\b"
    # hope, preference and discretion in other words: "the optimal score", "highly regarded", "would help",
    # "we consider sponsoring", "willing to", "varies by program", "cannot be guaranteed", "with the approval of"
    r"|\boptimal\b|\bregarded\b|\b(?:would|will|may|could|can) (?:help|strengthen|improve)\b|\bhelps?\b|\bstrong(?:er)? (?:scores?|applicants?|candidates?|applications?)\b"
    r"|\b(?:we|program|programs|institution) (?:do |does )?consider\w*|\bconsider(?:s|ed)? sponsor\w*|\bwilling\b|\bvar(?:y|ies|iable)\b|\bdepend\w*"
    r"|\b(?:cannot|can ?not|not|never) be guaranteed\b|\bno guarantee|\bunfavou?rabl\w*|\bsubject to\b|\bapproval of\b|\bat the discretion\b|\bdiscretion\w*"
    r"|\bwhether\b|\byet to\b|\bwould (?:make|be|render|mean)\b", re.I)
HEDGED_HEADING = re.compile(r"\b(?:preferred|suggested|recommended|desired|desirable|competitive|ideal)\b", re.I)
DESCRIPTIVE = re.compile(
    r"\baverage\b|\bmean\b|\bmedian\b|\branged?\b|\bmost (?:of )?(?:our )?(?:residents|applicants|interns|candidates)\b"
    r"|\bour (?:current )?(?:residents|interns|class)\b|\bmatched (?:residents|applicants)\b|\binterviewed applicants\b"
    r"|\bsuccessful (?:applicants|candidates)\b|\bhistorically\b|\bin the past\b|\bpercentile\b", re.I)
NEGATION = re.compile(
    r"\b(?:do|does|did|will|would|can|could|are|is|was|were|shall)\s*(?:not|n't)\b|\b(?:don't|doesn't|won't|can't|cannot|unable|no longer|never)\b"
    r"|\bnot\s+(?:able|eligible|available|offered|accepted|sponsored|supported|provided|possible|consider\w*)\b"
    r"|\bnone\b|\bneither\b|\bno\s+(?=(?:j|h|visa|sponsor|exceptions? for))", re.I)
CONDITIONAL = re.compile(r"(?<!even )\bif\b(?!\s+(?:applicable|available|any|necessary|needed|required)\b)|\bunless\b|\bthose who\b"
                         r"|\bapplicants who (?:graduated|have been out|are)\b|\bfor (?:those|applicants|candidates) (?:who|with|coming)\b", re.I)
RULE = re.compile(r"\bmust\b|\brequire\w*|\bmandatory\b|\bonly\b|\bminimum\b|\bat least\b|\bno (?:more|less|greater|fewer) than\b"
                  r"|\bnot (?:more|less) than\b|\bwill not\b|\bdo not\b|\bnot eligible\b|\bineligible\b|\bshould\b|\bneed\w*\b|\bcut-?off\b|\bmaximum\b|\bwithin\b|\bexpect\w*\b", re.I)


CONTRAST = re.compile(r";|\b(?:but|however|although|though|whereas|while|otherwise)\b|(?<=[a-z0-9)]{3})\.\s+(?-i:(?=[A-Z0-9]))", re.I)  # "St. Luke's" is no sentence end
APPLICANT_CLAUSE = re.compile(r"\b(?:applicants?|candidates?|graduates?|residents?|students?|those|individuals|physicians|imgs?|fmgs?|anyone|someone)"
                              r"\s+(?:who|that|whose)\b[^,;.]*", re.I)
NARROWED = re.compile(r"\b(?:who|that|whose|with|without|if|after|from|unless|once)\b", re.I)
OTHER_BODY = re.compile(
    r"\b(?:objectives?|purpose|goals?|mission|aims?) of (?:the )?(?:ecfmg|educational commission|exchange visitor|j-?1|state|department of state|u\.?s\.? government)"
    r"|\b(?:ecfmg|educational commission[\w\s]{0,40}?)(?:'s)? (?:exchange visitor )?(?:sponsorship )?program (?:is|was|aims|provides|exists)\b"
    r"|\b(?:the )?(?:j-?1|h-?1b?) (?:visa )?(?:is|was) (?:a|an|the) (?:non-?immigrant|temporary|visa|category|program)\b"
    r"|\b(?:fact sheet|brochure|handbook|web ?site|guide|booklet)\b[^.]{0,40}\b(?:provides?|describes?|explains?|introduc\w*|offers?)\b"
    r"|\bcombined total\b|\bin total across\b|\bcumulative\w*\b|\bacross all steps\b", re.I)


def hedged(sentence: str, clause: str) -> bool:
    """A hedge reaches every clause of its stretch of the sentence, not only its own: in "we look for
    scores of 225 (first attempt) for one track and 215 for another" both figures are hoped for.
    A contrast ("but", "however", ";", a new sentence) ends the stretch."""
    if HEDGE.search(clause):
        return True
    at = sentence.find(clause)
    if at < 0:
        return False
    start = max((m.end() for m in CONTRAST.finditer(sentence) if m.end() <= at), default=0)
    after = CONTRAST.search(sentence, at + 1)
    return bool(HEDGE.search(sentence[start:after.start() if after else len(sentence)]))


def program_negated(clause: str) -> bool:
    """A negation of what the program does, not of what an applicant is or did: in "applicants who
    were not able to take the exam may …" or "graduates that have not had US experience" the "not"
    describes the applicant."""
    return bool(NEGATION.search(APPLICANT_CLAUSE.sub(" ", clause)))


def narrowed_question(question: str) -> bool:
    """"Do you accept IMGs that have not had US experience?" asks about a narrow group: its Yes or No
    says nothing of IMGs in general."""
    return bool(NARROWED.search(question))


def about_other_body(sentence: str) -> bool:
    """Who is speaking: a sentence that describes ECFMG's exchange-visitor programme, what a visa
    category is, or a total across all steps set by a board states no rule of this program."""
    return bool(OTHER_BODY.search(sentence))


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
    ("We offer neither the J-1 nor the H-1B", "", {"negated"}, {"hedged"}),
    ("We will consider H-1B sponsorship in certain situations", "", {"hedged"}, {"negated"}),
    ("US clinical experience is required if you graduated more than a year ago", "", {"conditional"}, set()),
    ("ECFMG certificate, if applicable", "", set(), {"conditional"}),
    ("Pass each step on the first try, even if a later score is high", "", set(), {"conditional"}),
    ("We sponsor the J-1 visa only", "", {"exclusive"}, {"negated"}),
    ("Step 1 passed in no more than two attempts", "", {"steps": {"1"}}, set()),
    ("Passing the CSA on the first attempt", "", {"steps": {"2cs"}}, set()),
    ("Scores above 230 are an example of a strong application", "", {"hedged"}, set()),
    ("Sponsorship is not guaranteed for anyone", "", {"hedged"}, set()),
    ("The best score to have on each step is 230 or above, which we call optimal", "", {"hedged"}, set()),
    ("Passing on the first try is highly regarded", "", {"hedged"}, set()),
    ("Scores well above 240 would help an application", "", {"hedged"}, set()),
    ("We consider sponsoring the H-1B for a few residents", "", {"hedged"}, set()),
    ("The H-1B is offered only with the approval of the institution's GME office", "", {"hedged"}, set()),
    ("Whether rotations are needed varies by program", "", {"hedged"}, set()),
    ("Visa sponsorship can never be guaranteed", "", {"hedged"}, set()),
]

# (sentence, clause, hedged): the hedge's reach over a sentence's clauses
HEDGE_SCOPE_CASES = [
    ("We look for scores of 230 and up (first try) for one track and 220 and up for the other", "for one track and 220 and up for the other", True),
    ("We like to see US experience, but a score of 220 is required", "a score of 220 is required", False),
    ("Strong applicants apply early; the minimum score is 215", "the minimum score is 215", False),
]

# (clause, negates the program's own action)
NEGATION_CASES = [
    ("Candidates who were not able to sit the exam may use another route to meet it", False),
    ("We do not accept graduates of foreign schools", True),
    ("Graduates that have not had US rotations can apply", False),
]

# (question, asks about a narrow group)
NARROWED_CASES = [
    ("Do you accept foreign graduates that have no US rotations?", True),
    ("Do you accept IMGs?", False),
    ("Is the H-1B offered to applicants coming from another program?", True),
]

# (sentence, describes another body or a total rather than this program's rule)
OTHER_BODY_CASES = [
    ("The aims of the exchange visitor program run by ECFMG are to foster exchange between nations", True),
    ("The J-1 visa is a non-immigrant category for exchange visitors", True),
    ("Anyone with more than eight tries across Steps 1, 2 and 3, a combined total, may not be licensed", True),
    ("The agency's booklet explains how ECFMG sponsors the J-1", True),
    ("Our residents train on the J-1 visa", False),
]
