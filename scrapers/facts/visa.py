"""sponsors_j1, sponsors_h1b, requires_step3_for_h1b.

LABELING.md: "J-1 only" / "no H-1B" / "we do not sponsor visas" / "citizens or permanent residents
only" are rules; "will consider", "case by case", "hope to", "in certain situations" are not; a
list of allowed statuses without H-1B ("citizen, permanent resident or J-1") means no H-1B; H-1B
offered on condition of Step 3 is sponsorship with a Step 3 requirement.
"""
from __future__ import annotations

import re

from scrapers.facts import Candidate, Strength
from scrapers.facts import vocabulary as v
from scrapers.facts.assertions import CONDITIONAL, HEDGE, NEGATION, about_other_body, hedged, narrowed_question

POSITIVE = re.compile(r"\b(?:sponsor\w*|accept\w*|welcome\w*|support\w*|offer\w*|available|provide\w*|eligible|process\w*|yes|happy to|able to|train\w* on|only (?:for|if|when|with|after))\b"
                      r"|^\s*visas?\s*:", re.I)
EXCLUSIVE = re.compile(r"\bonly\b(?!\s+(?:for|if|when|to|in|with|after|on)\b)|\bexclusively\b|\bsolely\b|\bno exceptions\b", re.I)
_VISA_WORD = r"(?:j[\s-]?1|h[\s-]?1[\s-]?b?|j-?l|h-?i|visas?|exchange[\s-]visitors?|ecfmg[\s-]+sponsored)"
# "only" says the visa is the only one when it stands by the visa's name, not anywhere in the clause:
# "the GME office is the only department that sponsors…" limits the office, not the visa
ONLY_NEAR_VISA = re.compile(rf"\b(?:only|exclusively|solely)\W+(?:\w+\W+){{0,3}}?{_VISA_WORD}\b|\b{_VISA_WORD}\W+(?:\w+\W+){{0,2}}?(?:only|exclusively|solely)\b"
                            r"|\bno exceptions\b", re.I)
IF_ANTECEDENT = re.compile(r"^\s*(?:\d{1,2}[.)]\s*|[a-h][.)]\s*)?(?:if|when|in case|should|where)\b[^,]*,\s*", re.I)  # "If the program does not allow X, …": hypothetical
NARROW = re.compile(r"\bonly (?:for|to) (?:applicants|residents|candidates|those)\b|\b(?:transferring|coming) from\b|\balready (?:in|on|hold)"
                    r"|\b(?:to|for) (?:\w+ ){0,2}?(?:canadians?|canadian citizens|graduates of (?:a |an )?(?:u\.?s\.?|us|american|lcme|canadian))\b", re.I)
HOLDER = re.compile(r"\bmust (?:already )?(?:have|hold|possess|obtain)\b|\bholders? of\b|\bcurrently (?:on|hold)", re.I)
GENERIC_NO = re.compile(r"\b(?:do|does|will|can)\s*(?:not|n't)\s+(?:\w+\s+){0,2}?(?:sponsor|accept|offer|support|provide)\w*\s+(?:\w+\s+){0,3}?visas?\b"
                        r"|\bno visa sponsorship\b|\b(?:sponsor|accept|offer)s? no visas?\b|\bnot (?:able|eligible) to sponsor\b|\bunable to sponsor (?:any )?visas?\b|\bvisa sponsorship is not (?:available|offered|provided)\b", re.I)
CITIZENS_ONLY = re.compile(r"\b(?:must|need to|required to|only)\b[^.]{0,40}\b(?:u\.?s\.? )?citizens?(?:hip)?\b[^.]{0,30}\b(?:or|and(?:/or)?)\s+(?:a\s+)?(?:u\.?s\.?\s+)?permanent residen", re.I)
STEP3_TIE = re.compile(r"\b(?:requires?|required|must|only|need\w*|passed|pass(?:ing)?|by|criteria)\b", re.I)

TRIGGER = re.compile(r"visa|\bj[\s-]?1|\bh[\s-]?1|\bh visa|sponsor|citizen|permanent resid|exchange[\s-]visitor|green card", re.I)  # a sentence without these words cannot concern this fact

def _q_asks_visa(question: str) -> bool:
    return bool(question and (v.J1.search(question) or v.H1B.search(question) or v.VISA.search(question))
                and re.search(r"\bsponsor|\baccept|\boffer|\bsupport|\bprovide|\bwhat (?:kind|type)|\bwhich|\btrain\b|\bcome\b", question, re.I))


def read(unit, doc):
    text, question = unit.text, unit.question
    if unit.kind in ("question", "heading"):
        return
    # a direct Yes / No to "Do you sponsor J-1 / H-1B?"
    if about_other_body(text):
        return
    if unit.kind == "answer" and unit.first and _q_asks_visa(question) and (v.J1.search(question) or v.H1B.search(question)):
        if narrowed_question(question) or _narrow_answer(text):
            return  # "Yes, if you come from another ACGME program" answers for a narrow group
        yes, no = v.YES.search(text), v.NO.search(text)
        names_visa = v.J1.search(text) or v.H1B.search(text)
        if (yes or no) and not (names_visa and not re.match(r"^\W*(?:yes|no)\W*$", text.split(",")[0], re.I)):
            value = bool(yes)
            both = v.J1.search(question) and v.H1B.search(question)
            if v.J1.search(question):
                # "Do you sponsor J-1 or H-1B? No." is a generic no: a J-1 acceptance elsewhere outranks it
                yield Candidate("sponsors_j1", value, Strength.CONTEXT if (both and not value) else Strength.EXPLICIT, f"{question} {text}",
                                "inferred" if both and not value else "stated")
            if v.H1B.search(question):
                yield Candidate("sponsors_h1b", value, Strength.EXPLICIT, f"{question} {text}")
            return
    asked = _q_asks_visa(question) and unit.first  # a table row's label is its question
    for clause in v.split_clauses(text):
        yield from _clause(clause, text, unit, asked)
    # H-1B tied to Step 3, in the sentence or under an H-1B heading / question
    frame = unit.context
    if v.STEP3.search(text) and STEP3_TIE.search(text) and (v.H1B.search(text) or v.H1B.search(frame)) \
            and not re.search(r"step\s*(?:3|iii)[^.]*\bnot (?:required|needed|necessary)\b|\bnot (?:required|needed) to (?:have )?(?:pass|take)", text, re.I):
        yield Candidate("requires_step3_for_h1b", True, Strength.STATED, text)


NOT_CITIZEN = re.compile(r"\b(?:who )?(?:are|is) not (?:a |an )?(?:u\.?s\.?\s+|american\s+|united states\s+)?citizens?\b|\bnon-?citizens?\b", re.I)


def _narrow_answer(text: str) -> bool:
    """A Yes or No with a condition that is not an exam criterion: "Yes, if coming from another program"."""
    first = v.split_clauses(text)[0] if text else ""
    return bool((NARROW.search(text) or CONDITIONAL.search(text) or HEDGE.search(first)) and not v.STEP3.search(text))


def _clause(cl: str, sentence: str, unit, asked: bool):
    cl = IF_ANTECEDENT.sub("", cl)  # the consequent of a hypothetical is what the clause asserts
    j, h = v.J1.search(cl), v.H1B.search(cl)
    cl_for_negation = NOT_CITIZEN.sub("", cl)  # "applicants who are not citizens must hold a J-1" negates no visa
    is_hedged = hedged(sentence, cl)
    if is_hedged:  # a visa the page only hopes or may consider: a generic "no visas" elsewhere does not settle it
        yield from _unsettled(sentence, j, h)
    if not (j or h):
        if is_hedged:
            return
        if GENERIC_NO.search(cl) and not re.search(r"\bexcept\b|\bother than\b|\bonly\b", cl, re.I):
            yield Candidate("sponsors_h1b", False, Strength.STATED, sentence)
            yield Candidate("sponsors_j1", False, Strength.CONTEXT, sentence, "inferred")
        elif asked and v.NO.search(cl) and unit.first:
            # a No answers for the visas its question names; a question naming none ("any visas?") is generic
            names_j, names_h = v.J1.search(unit.question), v.H1B.search(unit.question)
            if names_h or not names_j:
                yield Candidate("sponsors_h1b", False, Strength.STATED, f"{unit.question} {sentence}")
            if names_j or not names_h:
                yield Candidate("sponsors_j1", False, Strength.STATED if names_j else Strength.CONTEXT, f"{unit.question} {sentence}",
                                "stated" if names_j else "inferred")
        elif CITIZENS_ONLY.search(cl) and not v.VISA.search(sentence):
            yield Candidate("sponsors_h1b", False, Strength.CONTEXT, sentence, "inferred")
        return
    if is_hedged or (NARROW.search(cl) and not v.STEP3.search(cl)):  # a Step 3 condition is a criterion, not a narrow group
        return
    if v.STATUS.search(cl_for_negation) and not NEGATION.search(cl_for_negation) and re.search(r"\bor\b|,", cl):
        # allowed statuses: "U.S. citizens, permanent residents or J-1 visa holders"
        if j:
            yield Candidate("sponsors_j1", True, Strength.CONTEXT, sentence, "inferred")
        if h:
            yield Candidate("sponsors_h1b", True, Strength.CONTEXT, sentence, "inferred")
        elif re.search(r"\bmust\b|\brequired\b|\bonly\b|\bare\b|\bhave\b|\bhold\b|\beligib", sentence, re.I) or unit.kind == "item":
            yield Candidate("sponsors_h1b", False, Strength.CONTEXT, sentence, "inferred")
        return
    if re.search(r"\brequired\b|\bis required\b|\bmust\b", cl, re.I) and j and not h and not NEGATION.search(cl) and v.STATUS.search(sentence) \
            and not HOLDER.search(cl):
        # "if not a citizen or permanent resident, a J-1 visa is required"
        yield Candidate("sponsors_j1", True, Strength.CONTEXT, sentence, "inferred")
        yield Candidate("sponsors_h1b", False, Strength.CONTEXT, sentence, "inferred")
        return
    negated = NEGATION.search(cl_for_negation)
    if HOLDER.search(cl) and not POSITIVE.search(cl.replace("holders", "")) and not negated:
        yield from _unsettled(sentence, j, h)  # a visa the applicant must bring: whether the program takes it is open
        if j and not h and v.STATUS.search(sentence):  # "non-citizens must have a J-1": the J-1 is the only route
            yield Candidate("sponsors_h1b", False, Strength.CONTEXT, sentence, "inferred")
        return  # a visa the applicant brings, not one the program sponsors
    if negated:
        if j:
            yield Candidate("sponsors_j1", False, Strength.STATED, sentence)
        if h:
            yield Candidate("sponsors_h1b", False, Strength.STATED, sentence)
        return
    exclusive = bool(ONLY_NEAR_VISA.search(cl))
    if not (POSITIVE.search(cl) or exclusive or asked):
        return
    strength = Strength.EXPLICIT if exclusive else Strength.STATED
    step3 = v.STEP3.search(cl)
    if j and not h:
        yield Candidate("sponsors_j1", True, strength, sentence)
        if exclusive:
            yield Candidate("sponsors_h1b", False, strength, sentence)
    elif h and not j:
        yield Candidate("sponsors_h1b", True, strength, sentence)
        if exclusive and not step3:
            yield Candidate("sponsors_j1", False, strength, sentence)
    else:
        yield Candidate("sponsors_j1", True, Strength.STATED, sentence)
        yield Candidate("sponsors_h1b", True, Strength.STATED, sentence)


HEDGED_MENTION = "hedged:"


def _unsettled(sentence: str, j, h):
    """Markers for `finish`: the visas this sentence names without settling whether the program takes them."""
    for name, hit in (("sponsors_j1", j), ("sponsors_h1b", h)):
        if hit:
            yield Candidate(HEDGED_MENTION + name, None, Strength.CONTEXT, sentence)


def finish(cands: list) -> list:
    """A visa the page names only in hope or at discretion ("J-1 will be considered case by case"),
    or as one the applicant must already hold, is not settled by a generic sentence that never
    names it ("we sponsor no visas"): those readings are dropped for that visa, and the fact is
    left to what names it.""" 
    unsettled = {c.field[len(HEDGED_MENTION):] for c in cands if c.field.startswith(HEDGED_MENTION)}
    name = {"sponsors_j1": v.J1, "sponsors_h1b": v.H1B}
    return [c for c in cands if not c.field.startswith(HEDGED_MENTION)
            and (c.field not in unsettled or name[c.field].search(c.sentence))]


CASES = [
    ("We sponsor J-1 visas only.", {"sponsors_j1": True, "sponsors_h1b": False}),
    ("J-1 visa holders only - we cannot sponsor H-1B.", {"sponsors_j1": True, "sponsors_h1b": False}),
    ("The only visa we take is the J1 - NO H1B.", {"sponsors_j1": True, "sponsors_h1b": False}),
    ("Residents train on the J-1 visa (H-1 visas are not accepted).", {"sponsors_j1": True, "sponsors_h1b": False}),
    ("We are happy to sponsor J1 visas. Unfortunately we cannot sponsor H1b.", {"sponsors_j1": True, "sponsors_h1b": False}),
    ("Does the program sponsor the H-1B visa?\nNo.", {"sponsors_h1b": False, "sponsors_j1": None}),
    ("Do you sponsor the J-1 visa?\nYes, through ECFMG.", {"sponsors_j1": True}),
    ("Our institution does not sponsor any visas.", {"sponsors_h1b": False, "sponsors_j1": False}),
    ("Visa sponsorship is not offered. We do accept the ECFMG-sponsored J-1.", {"sponsors_h1b": False, "sponsors_j1": True}),
    ("H-1B sponsorship may be considered in certain situations.", {"sponsors_h1b": None}),
    ("It is our hope to offer the H-1B in the future.", {"sponsors_h1b": None}),
    ("Visa sponsorship of any kind is not guaranteed.", {"sponsors_h1b": None, "sponsors_j1": None}),
    ("J-1 sponsorship is considered for strong candidates.", {"sponsors_j1": None}),
    ("Eligible applicants are US citizens, permanent residents, or hold a J-1 visa.", {"sponsors_j1": True, "sponsors_h1b": False}),
    ("Applicants must be U.S. citizens or permanent residents.", {"sponsors_h1b": False}),
    ("Status accepted: US citizen, J-1 or H-1 visa", {"sponsors_j1": True, "sponsors_h1b": True}),
    ("Mostly J-1 visas are sponsored, but we also sponsor the H1B for a few residents.", {"sponsors_j1": True, "sponsors_h1b": True}),
    ("The H-1B is offered when Step 3 has been passed by February 1.", {"sponsors_h1b": True, "requires_step3_for_h1b": True}),
    ("H-1B Visa Requirements\nAll three USMLE steps must be passed by the rank list deadline.", {"requires_step3_for_h1b": True}),
    ("The H-1B is offered only to residents transferring from another ACGME program.", {"sponsors_h1b": None}),
    ("Applicants must already hold a J-1 visa.", {"sponsors_j1": None}),
    ("Applicants who are not U.S. citizens must be permanent residents or hold a J-1 visa.", {"sponsors_j1": True, "sponsors_h1b": False}),
    # the "only" limits an office, not a visa
    ("For the H-1B, the GME office is the only office allowed to file petitions for our residents.", {"sponsors_j1": None}),
    # the negation sits in a hypothetical's antecedent
    ("If a program cannot take H-1B residents, the resident must then pursue a J-1.", {"sponsors_j1": None, "sponsors_h1b": None}),
    ("Do you sponsor the H-1B?\nYes, if you are transferring in from another ACGME program.", {"sponsors_h1b": None}),
    ("The aims of the ECFMG exchange visitor program are to foster exchange between nations.", {"sponsors_j1": None}),
    ("We sponsor no visas. The J-1 may be considered on an individual basis.", {"sponsors_j1": None, "sponsors_h1b": False}),
    ("1. Applicants who are not citizens must hold a J-1 visa. 2. We sponsor no visas.", {"sponsors_j1": None, "sponsors_h1b": False}),
    ("We offer Jl visas. We do not offer HI visas.", {"sponsors_j1": True, "sponsors_h1b": False}),
    ("Sponsorship\n- Do you sponsor a first H-1B?\n- No.", {"sponsors_h1b": False, "sponsors_j1": None}),
    ("We offer the J-1 and the H-1B to Canadians who graduated from a US school.", {"sponsors_j1": None, "sponsors_h1b": None}),
    ("Nobody yet knows whether the change will make it impossible for us to sponsor the H-1B.", {"sponsors_h1b": None}),
    ("Candidates who are not American citizens train on the J-1, which ECFMG sponsors.", {"sponsors_j1": True}),
    ("H-1B visas are possible only with the approval of the GME office.", {"sponsors_h1b": None}),
]
