"""ecfmg_required_by: when the ECFMG certificate must be held (application | rank | start).

LABELING.md: `application` only when the text ties the certificate to applying (to apply, to be
reviewed or interviewed, "at the time of application", a document submitted with the application,
a list headed "requirements for applying"); `rank` before the rank list or the Match; `start`
before appointment or training. A bare "must hold a valid certificate" -> null; eligibility for
certification is not the certificate; two different deadlines on one page -> null (a conflict).
"""
from __future__ import annotations

import re

from scrapers.facts import Candidate, Strength
from scrapers.facts import vocabulary as v
from scrapers.facts.assertions import HEDGED_HEADING

TIMING = {
    "application": re.compile(
        r"\b(?:at|by) the time (?:of|you submit) (?:your |the )?(?:application|applying)|\b(?:prior to|before|upon|with) (?:submitting |you )?(?:an |your |the )?(?:application|applying|apply)\b"
        r"|\bto apply\b|\bapplication deadline\b|\bwhen (?:you )?apply|\bto be (?:considered|reviewed|eligible) for (?:an? )?(?:interview|review)\b|\bbefore (?:you (?:will |can )?be )?(?:granted|offered|invited)\b[^.]{0,20}\binterview"
        r"|\bfor (?:an? )?interview\b|\bto (?:be )?interview|\bcomplete (?:your |the |an? )?(?:eras|application)\b", re.I),
    "rank": re.compile(r"\brank(?:ing|ed)?\b|\bmatch list\b|\b(?:prior to|before|by) the match\b|\bmatch (?:day|date|results)\b", re.I),
    "start": re.compile(r"\bstart(?:ing)? (?:of |date|the )?(?:training|residency|the residency|the program|employment|pgy|internship|work)?\b|\bprior to (?:appointment|employment|beginning|starting|residency|orientation|training)"
                        r"|\b(?:by|before) july 1|\bbefore (?:training|residency|the program|the residency) (?:begins|starts)\b|\bjune 30(?:th)?\b|\bbeginning (?:of )?(?:training|residency)|\bcommencement\b|\bbefore (?:you )?(?:start|begin)\b"
                        r"|\bprogram start\b|\b(?:prior to|before|by|at|upon|time of|start of) (?:the )?(?:time of |date of )?appointment\b|\borientation\b|\bemployment\b"
                        r"|\bhir(?:e|ed|ing)\b|\bonboarding\b|\bcontract\b|\b(?:entry|entrance|admission) (?:in)?to (?:the |a |an |our )?(?:\w+ )?(?:residency|program|training)\b|\bbefore (?:starting|beginning) (?:in )?(?:the )?(?:program|residency|training)", re.I),
}
APPLYING_FRAME = re.compile(r"\bto apply\b|\bapplication (?:requirements?|procedure|process|materials|checklist|documents)\b|\brequirements? for (?:application|applying)\b"
                            r"|\bsubmit\w*\b|\brequired (?:documents|materials|documentation)\b|\bprocess for application\b|\bcomplete application\b"
                            r"|\bwith (?:your|the) application\b|\brequired materials\b|\bapplication must include\b"
                            r"|\bincluded? (?:in|with) (?:your |the |an? )?(?:\w+ )?application\b|\bcomplete (?:\w+ )?applications? (?:includes?|consists?|contains?)\b"
                            r"|\bapplications? (?:includes?|must contain|consists? of)\b", re.I)
NOT_THE_CERTIFICATE = re.compile(r"\beligib\w*|\bstatus report\b|\bcsa\b|\bshould take\b|\bor (?:be )?(?:far enough along|in the process|close to)\b|\bnot required\b"
                                 r"|\b(?:do|does|is|are) not (?:need|require|required|necessary|needed)\b|\bnot (?:needed|necessary)\b", re.I)
LATER = re.compile(r"\b(?:can|may) be (?:provided|submitted|sent|uploaded|forwarded) (?:at a )?later\b|\blater date\b|\bif not (?:yet )?(?:available|received)\b", re.I)
# "by October 31, our deadline, and by the end of interviews": two deadlines in one sentence say no one time
DEADLINE = re.compile(r"\b(?:by|no later than|prior to|before) (?:the )?(?:completion|end|close|time|deadline|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|\d)", re.I)
# "by January 30": a calendar date that is none of application, rank list or start (LABELING.md) -> null.
# June 30 and July 1 are the start of training, already read as such.
CALENDAR_DEADLINE = re.compile(r"\b(?:by|before|no later than|prior to|until)\s+(?:the\s+)?(?!june 30|jul(?:y)?\.? 1\b)"
                               r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d", re.I)

TRIGGER = re.compile(r"ecfmg|e\.c\.f\.m\.g|foreign medical graduates|certificate", re.I)  # a sentence without these words cannot concern this fact

def _mentions_certificate(unit, doc) -> bool:
    if v.ECFMG_CERT.search(unit.text):
        return True
    # "…ECFMG certificate, if available. If not, you will need the certificate before orientation."
    return bool(re.search(r"\bthe certificate\b", unit.text, re.I) and v.ECFMG_CERT.search(doc.block_text(unit)))


def _nearest_frame(unit) -> str:
    """What directly frames the sentence: its list's lead line, else its question, else its nearest
    heading. A page-wide "How to Apply" above a lead "IMGs need:" does not make that list one of
    documents to apply with."""
    return unit.lead or unit.question or (unit.headings[-1] if unit.headings else "")


SEGMENT = re.compile(r";|\b(?:however|but|although|whereas)\b", re.I)
# with a calendar date, "application" is read only from an interview or a consideration, never from
# "our application deadline" or a "time of application" that belongs to another document
DATED_APPLICATION = re.compile(r"\binterview\w*|\bto be (?:considered|reviewed)\b", re.I)


def _timings(text: str) -> list[str]:
    dated = CALENDAR_DEADLINE.search(text)
    hits = [k for k, rx in TIMING.items() if rx.search(text)]
    if dated and "application" in hits and not DATED_APPLICATION.search(text):
        hits.remove("application")
    return hits


def _near_certificate(seg: str, reach: int = 120) -> str:
    """The words around the certificate's name: a timing further off belongs to something else
    (a menu run into the sentence, another document in a long list)."""
    m = v.ECFMG_CERT.search(seg)
    return seg if m is None else seg[max(0, m.start() - reach): m.end() + reach]


def read(unit, doc):
    if unit.kind == "question":
        return
    text = unit.text
    asked = unit.kind == "answer" and unit.first and bool(v.ECFMG_CERT.search(unit.question))
    if not (asked or _mentions_certificate(unit, doc)) or LATER.search(text) or len(DEADLINE.findall(text)) > 1:
        return
    if HEDGED_HEADING.search(_nearest_frame(unit)):
        return  # "Suggested criteria:" states no rule
    # "not required to apply; however, you must be certified before you start": each stretch on its own
    segments = [seg for seg in SEGMENT.split(text) if v.ECFMG_CERT.search(seg) or re.search(r"\bcertif|\bthe certificate\b", seg, re.I)] or [text]
    if asked and not v.ECFMG_CERT.search(text):
        segments = [text]
    hits: list[str] = []
    for seg in segments:
        if NOT_THE_CERTIFICATE.search(seg):
            continue
        hits += [k for k in _timings(_near_certificate(seg)) if k not in hits]
    if asked and not hits and v.YES.search(text):
        hits = [k for k, rx in TIMING.items() if rx.search(unit.question)]
    if len(hits) == 1:
        yield Candidate("ecfmg_required_by", hits[0], Strength.STATED, f"{unit.question} {text}" if asked else text)
    elif not hits and not CALENDAR_DEADLINE.search(text) and not NOT_THE_CERTIFICATE.search(text) and APPLYING_FRAME.search(_nearest_frame(unit)):
        yield Candidate("ecfmg_required_by", "application", Strength.STATED, f"{unit.context}: {text}", "inferred")


CASES = [
    ("The ECFMG certificate must be held before the rank order list is certified.", {"ecfmg_required_by": "rank"}),
    ("ECFMG certification is required prior to the start of training.", {"ecfmg_required_by": "start"}),
    ("A valid ECFMG certificate is required at the time of application.", {"ecfmg_required_by": "application"}),
    ("You need the ECFMG certificate to be considered for an interview.", {"ecfmg_required_by": "application"}),
    ("Documents to submit with your application:\n- Personal statement\n- ECFMG certificate", {"ecfmg_required_by": "application"}),
    ("All residents shall have:\n- A valid ECFMG certificate, if applicable", {"ecfmg_required_by": None}),
    ("Applicants must hold a valid ECFMG certificate.", {"ecfmg_required_by": None}),
    ("Applicants must be eligible for ECFMG certification before the Match.", {"ecfmg_required_by": None}),
    ("ECFMG certified at the time of application or in the process of certification.", {"ecfmg_required_by": None}),
    ("ECFMG certificate before ranking. ECFMG certificate before the start of training.", {"ecfmg_required_by": None}),
    ("ECFMG certificate, if you have it. If not, you must have the certificate before orientation in June.", {"ecfmg_required_by": "start"}),
    ("What we need to apply:\n- The ECFMG certificate when you are hired", {"ecfmg_required_by": "start"}),
    ("Applying\nForeign graduates seldom match here. They need:\n- An ECFMG certificate", {"ecfmg_required_by": None}),
    ("The ECFMG certificate is needed by February 15 of the application year.", {"ecfmg_required_by": None}),
    ("Send the ECFMG certificate with your application; it may be sent later if you do not have it yet.", {"ecfmg_required_by": None}),
    ("Requirements for applying:\n- ECFMG certificate valid for the appointment year", {"ecfmg_required_by": "application"}),
    ("Is the ECFMG certificate needed when I apply?\nNo, you need it before training begins.", {"ecfmg_required_by": "start"}),
    ("We do not need ECFMG certification to apply; however, you must be ECFMG certified before entry into the residency.", {"ecfmg_required_by": "start"}),
    ("To be considered for the rank list you must send an ECFMG certificate by February 2.", {"ecfmg_required_by": "rank"}),
    ("An ECFMG certificate by November 1, our application deadline, and a CV at the time of application.", {"ecfmg_required_by": None}),
    ("Foreign graduates must be ECFMG certified by the close of applications, and fully certified by the end of interviews.", {"ecfmg_required_by": None}),
    ("Suggested criteria:\n- ECFMG certificate by the NRMP match date", {"ecfmg_required_by": None}),
    ("Criteria:\n- ECFMG certificate by the NRMP match date", {"ecfmg_required_by": "rank"}),
    ("Please make sure your electronic application includes:\n- ECFMG certificate, if applicable", {"ecfmg_required_by": "application"}),
]
