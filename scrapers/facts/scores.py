"""step1_min, step2ck_min: a stated three-digit USMLE minimum.

LABELING.md: "USMLE minimum 200" naming no step applies to both; averages, medians, percentiles,
"we look for", "generally request", examples and the score that makes an H-1B possible are not
floors; COMLEX figures and old two-digit scores never are.
"""
from __future__ import annotations

import re

from scrapers.facts import Candidate, Strength
from scrapers.facts import vocabulary as v
from scrapers.facts.assertions import DESCRIPTIVE, HEDGED_HEADING, about_other_body, hedged

SCORE = re.compile(r"(?<![\d/.$-])([12]\d\d)(?![\d/%-]|\s*(?:months|weeks|hours|positions|residents|programs|applicants|applications|candidates|interviews|%|percent))")
MIN_CUE = re.compile(r"\bminimum\b|\bmin\b|\bat least\b|\bor (?:higher|above|greater|better|more)\b|>=|>\s*\d|\bcut-?offs?\b|\bno (?:less|lower) than\b"
                     r"|\bnot (?:less|lower) than\b|\brequire\w*|\bthreshold\b|\bmust (?:score|have|achieve|obtain|be)\b|\bshould be\b|\babove\b|\bfloor\b", re.I)
STEP_VALUE = re.compile(r"\bstep\s*(?:1|2|i|ii)\b[^:]{0,25}:\s*\d", re.I)

TRIGGER = re.compile(r"\b[12]\d\d\b", re.I)  # a sentence without these words cannot concern this fact

def _mentions(text: str):
    out = [(m.start(), "s1") for m in v.STEP1.finditer(text)] + [(m.start(), "s2") for m in v.STEP2.finditer(text)]
    out += [(m.start(), "s3") for m in v.STEP3.finditer(text)] + [(m.start(), "comlex") for m in v.COMLEX.finditer(text)]
    out += [(m.start(), "usmle") for m in v.USMLE.finditer(text)]
    if v.BOTH_STEPS.search(text):
        out.append((v.BOTH_STEPS.search(text).start(), "both"))
    return sorted(out)


def read(unit, doc):
    if unit.kind in ("question", "heading"):
        return
    sentence = re.sub(r"\(\d{2}\)", "", unit.text)  # "210 (85)": the old two-digit equivalent
    frame = " ".join((*unit.headings, unit.lead))
    if DESCRIPTIVE.search(sentence) or HEDGED_HEADING.search(frame) or re.search(r"\bh[\s-]?1", sentence, re.I):
        return
    if about_other_body(sentence):
        return
    for cl in v.split_clauses(sentence) if unit.kind != "row" else [sentence]:
        if hedged(sentence, cl):
            continue
        nums = [m for m in SCORE.finditer(cl) if 180 <= int(m.group(1)) <= 300]
        if not nums:
            continue
        if not (MIN_CUE.search(cl) or STEP_VALUE.search(cl) or MIN_CUE.search(unit.lead) or re.search(r"\bminimum\b", sentence, re.I)
                or (unit.kind == "answer" and re.search(r"\bminimum|\bcut-?off", unit.question, re.I))):
            continue
        mentions = _mentions(cl) or _mentions(sentence) or _mentions(unit.lead)
        if not mentions:
            continue
        kinds = {k for _, k in mentions}
        both = "both" in kinds or ({"s1", "s2"} <= kinds and len(nums) == 1)
        steps = [(p, k) for p, k in mentions if k in ("s1", "s2", "s3")]
        if len(nums) > 1 and len(steps) == len(nums) and "comlex" not in kinds:
            pairs = [(n, k) for n, (_, k) in zip(nums, steps)]
        else:
            pairs = []
            for i, n in enumerate(nums):
                prev_end = nums[i - 1].end() if i else -1
                before = [m for m in mentions if prev_end < m[0] < n.start()] if _mentions(cl) else []
                nearest = max(before) if before else min(mentions, key=lambda m: abs(m[0] - n.start()))
                kind = nearest[1]
                pairs.append((n, "both" if both and kind not in ("comlex", "s3") else kind))
        for n, kind in pairs:
            value = int(n.group(1))
            if kind in ("s1", "both", "usmle"):
                yield Candidate("step1_min", value, Strength.STATED, unit.text)
            if kind in ("s2", "both", "usmle"):
                yield Candidate("step2ck_min", value, Strength.STATED, unit.text)


CASES = [
    ("Applicants must score at least 225 on Step 2 CK.", {"step2ck_min": 225, "step1_min": None}),
    ("Minimum USMLE score: 215", {"step1_min": 215, "step2ck_min": 215}),
    ("We require Step 1 of 210 and Step II CK of 220 or higher.", {"step1_min": 210, "step2ck_min": 220}),
    ("Our residents' average Step 2 CK score is 248.", {"step2ck_min": None}),
    ("Most applicants we interview have 230 or above.", {"step2ck_min": None}),
    ("We generally ask for 220 or above on Step 2 CK.", {"step2ck_min": None}),
    ("Step 2 scores above 215 are weighed case by case.", {"step2ck_min": None}),
    ("COMLEX Level 2 minimum 500.", {"step2ck_min": None}),
    ("Preferred qualifications\n- Step 2 CK of 230 or higher", {"step2ck_min": None}),
    ("Minimum USMLE scores for an interview:\n- Step 1: 205\n- Step 2 CK: 215\n- Step 3: 200", {"step1_min": 205, "step2ck_min": 215}),
    ("Steps 1 and 2 must both be passed with 200 or above.", {"step1_min": 200, "step2ck_min": 200}),
    ("A USMLE score of 85 or above is required.", {"step1_min": None, "step2ck_min": None}),
    ("Step 3 score of 200 or better is needed for the H-1B.", {"step1_min": None, "step2ck_min": None}),
    ("We hope to see 230 and up on USMLE (first try) for one track and 220 and up on USMLE for the other.", {"step1_min": None, "step2ck_min": None}),
    ("The optimal score on Steps 1 and 2 is 220 or above.", {"step1_min": None, "step2ck_min": None}),
]
