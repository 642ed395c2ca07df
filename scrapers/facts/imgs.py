"""accepts_imgs: whether international medical graduates may apply.

LABELING.md: true when the page says IMGs may apply, gives IMG-specific requirements (an ECFMG
certificate requirement is one: ECFMG certifies only IMGs), an IMG path or section, or says it
has IMG residents; false for "only graduates of LCME / US schools" or "we do not accept IMGs";
null when IMGs are never named or only citizenship and visa rules are given.
"""
from __future__ import annotations

import re

from scrapers.facts import Candidate, Strength
from scrapers.facts import vocabulary as v
from scrapers.facts.assertions import NEGATION, narrowed_question, program_negated

ACCEPT_VERB = re.compile(r"\baccept\w*|\bconsider\w*|\beligible\b|\bapplications?\b|\bapply\b|\btake\b|\binterview\w*|\breview\w*|\brank\w*|\bwelcome\w*", re.I)
ONLY_US = re.compile(r"\bonly (?:accept )?(?:applications )?(?:from )?(?:graduates|applicants|candidates) (?:of|from) (?:an? )?(?:lcme|u\.?s\.?|us|american|accredited u\.?s\.?)\b"
                     r"|\b(?:do|does|will) not (?:accept|consider|interview|review) (?:applications from )?(?:imgs|international|foreign)\b", re.I)
IMG_HEADING = re.compile(r"\bimgs?\b|\bfmgs?\b|\binternational medical (?:school )?graduates?\b|\bforeign medical graduates?\b"
                         r"|\b(?:international|foreign|non-u\.?s\.?) medical school graduates\b", re.I)

TRIGGER = re.compile(r"\bimg|\bfmg|international|foreign|overseas|outside|non-u|non-us|lcme|ecfmg|e\.c\.f\.m\.g|american|u\.?s\.? (?:medical )?(?:schools|graduates)", re.I)  # a sentence without these words cannot concern this fact

def read(unit, doc):
    if unit.kind == "question":
        return
    text = v.without_ecfmg_name(unit.text)
    if ONLY_US.search(text):
        yield Candidate("accepts_imgs", False, Strength.STATED, unit.text)
        return
    if unit.kind == "heading":
        if IMG_HEADING.search(text) and not NEGATION.search(text):
            yield Candidate("accepts_imgs", True, Strength.CONTEXT, unit.text, "inferred")  # an IMG section
        return
    question = v.without_ecfmg_name(unit.question)
    if unit.kind == "answer" and unit.first and v.IMG.search(question) and ACCEPT_VERB.search(question) and not narrowed_question(question):
        if v.YES.search(text):
            yield Candidate("accepts_imgs", True, Strength.EXPLICIT, f"{unit.question} {unit.text}")
            return
        if v.NO.search(text):
            yield Candidate("accepts_imgs", False, Strength.EXPLICIT, f"{unit.question} {unit.text}")
            return
    if v.IMG.search(text):
        for clause in v.split_clauses(text) if unit.kind != "row" else [text]:
            if not v.IMG.search(clause):
                continue
            if program_negated(clause):
                if ACCEPT_VERB.search(clause) and not re.search(r"\bnot (?:required|necessary)|\bno (?:minimum|cut)|\bsponsor|\bvisa|\bguarantee", clause, re.I):
                    yield Candidate("accepts_imgs", False, Strength.STATED, unit.text)
                continue
            yield Candidate("accepts_imgs", True, Strength.STATED, unit.text)
            return
        return
    if v.ECFMG_CERT.search(text) and not re.search(r"\bnot (?:required|needed|necessary)\b|\beligib", text, re.I):
        yield Candidate("accepts_imgs", True, Strength.CONTEXT, unit.text, "inferred")


CASES = [
    ("International medical graduates are welcome to apply.", {"accepts_imgs": True}),
    ("Do you accept IMGs?\nYes.", {"accepts_imgs": True}),
    ("Do you accept IMGs?\nNo, we do not.", {"accepts_imgs": False}),
    ("We only accept graduates of LCME-accredited schools.", {"accepts_imgs": False}),
    ("We do not accept applications from international medical graduates.", {"accepts_imgs": False}),
    ("Graduates of foreign medical schools must hold a valid ECFMG certificate.", {"accepts_imgs": True}),
    ("A valid ECFMG certificate is required before ranking.", {"accepts_imgs": True}),
    ("Requirements for International Medical Graduates\n- Two letters from US physicians", {"accepts_imgs": True}),
    ("Contact the Educational Commission for Foreign Medical Graduates for ERAS tokens.", {"accepts_imgs": None}),
    ("Applicants must be US citizens or permanent residents.", {"accepts_imgs": None}),
    ("Graduate of a medical school outside the United States with a Fifth Pathway certificate.", {"accepts_imgs": True}),
    ("Do you take foreign medical graduates who have had no US rotations?\nNo. Foreign medical graduates need an ECFMG certificate to be reviewed.", {"accepts_imgs": True}),
    ("International medical graduates who were not able to sit the skills exam may use another route.", {"accepts_imgs": True}),
]
