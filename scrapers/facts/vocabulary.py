"""Words that name things on program pages: visas, exams, IMGs, ECFMG. Shared by the fact rules."""
from __future__ import annotations

import re

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "single": 1,
                "a": 1, "an": 1}
N = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"


def num(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token.lower()]


# "Jl" and "HI" (a letter for the digit) are typed for J1 and H1 often enough, and only before "visa"
J1 = re.compile(r"\bj[\s-]?1\b(?![\s-]?[0-9])|\becfmg[\s-]+sponsored\b|\bexchange[\s-]visitor|\bj-?l visas?\b", re.I)
H1B = re.compile(r"\bh[\s-]?1[\s-]?b\b|\bh[\s-]?1\b(?!-?[0-9a-z])|\bh visa\b|\bh-?i visas?\b", re.I)
VISA = re.compile(r"\bvisas?\b", re.I)
STATUS = re.compile(r"\bcitizens?(?:hip)?\b|\bpermanent residen\w*|\bgreen card\b|\blawful\b|\bead\b", re.I)

STEP1 = re.compile(r"\bstep\s*(?:1|i|one)\b(?!\s*(?:/|and|&|,)\s*(?:step\s*)?(?:2|ii)\b)", re.I)
STEP2_ANY = re.compile(r"\bstep\s*(?:2|ii|two)\b(?:\s*(?:ck|cs|clinical knowledge|clinical skills))?|\b(?:2\s+)?(?:clinical knowledge|ck)\b(?!\s*\w*\s*\bstep)", re.I)
STEP2 = re.compile(r"\bstep\s*(?:2|ii|two)\b(?!\s*cs)(?:\s*(?:ck|clinical knowledge))?", re.I)
STEP3 = re.compile(r"\bstep\s*(?:3|iii|three)\b|\ball (?:3|three) (?:usmle )?steps\b", re.I)
CSA = re.compile(r"\bcsa\b|\bclinical skills\b|\bstep\s*(?:2|ii)\s*cs\b", re.I)
BOTH_STEPS = re.compile(r"\b(?:both|all|each) (?:usmle )?(?:steps|exams|parts)\b|\bsteps?\s*(?:1|i)\s*(?:/|and|&|,)\s*(?:step\s*)?(?:2|ii)\b"
                        r"|\bsteps 1 and 2\b|\bon both\b|\busmle (?:1|i)\s*(?:/|and|&|,)\s*(?:2|ii)\b", re.I)
USMLE = re.compile(r"\busmle\b", re.I)
COMLEX = re.compile(r"\bcomlex\b|\blevel\s*(?:1|2|i|ii)\b", re.I)

_ECFMG_NAME = r"(?:ecfmg|e\.c\.f\.m\.g\.?|educational commission (?:for|of) foreign medical graduates|exchange commission (?:for|of) foreign medical graduates)"
ECFMG_NAME = re.compile(_ECFMG_NAME, re.I)
ECFMG_CERT = re.compile(rf"\b{_ECFMG_NAME}[^.?]{{0,60}}?\bcertif\w*|\bcertif\w*[^.?]{{0,80}}?{_ECFMG_NAME}|\b{_ECFMG_NAME}[\s-]certified\b", re.I)

IMG = re.compile(
    r"\binternational medical (?:school )?graduates?\b|\bimgs?\b|\bforeign medical graduates?\b|\bfmgs?\b"
    r"|\binternational (?:medical )?(?:applicants?|graduates|candidates)\b|\bforeign (?:graduates|applicants)\b"
    r"|\bgraduates? (?:of|from) (?:an? )?(?:foreign|international|overseas|non-u\.?s\.?|non-us|non-american)\b"
    r"|\b(?:foreign|international|overseas|non-u\.?s\.?|non-us) medical (?:schools?|colleges?)\b"
    r"|\bmedical (?:schools?|colleges?) (?:located )?outside (?:of )?(?:the )?(?:u\.?s\.?|us|united states)"
    r"|\bnon-u\.?s\.? (?:medical )?graduates\b|\bnon-lcme\b", re.I)


def without_ecfmg_name(text: str) -> str:
    """"Educational Commission for Foreign Medical Graduates" names a body, not an applicant."""
    return re.sub(r"educational commission (?:for|of) foreign medical graduates|exchange commission (?:for|of) foreign medical graduates",
                  "ECFMG", text, flags=re.I)


YES = re.compile(r"^\W*(?:yes|absolutely|certainly|of course|we do\b(?!\s*not)|correct)\b", re.I)
NO = re.compile(r"^\W*(?:no\b|unfortunately|we do not|we don't|sorry|not at this time)", re.I)


def split_clauses(sentence: str) -> list[str]:
    """Clauses that may assert different things: "J-1 only (no H-1B)", "J-1 - NO H-1B", "1) … 2) …"."""
    parts = re.split(
        r";|\s+-\s+|\(|\)|(?<=[a-z0-9)]{3})\.\s+(?-i:(?=[A-Z0-9]))|\s(?=\d\)\s)"
        r"|,\s*(?=(?:but|however|although|though|otherwise|whereas|while|and (?:we|do|does|will|is|are|the program))\b)"
        r"|\s+(?=(?:but|however|although|though|otherwise|whereas)\b)|\s+and\s+(?=(?:we|do|does|will|cannot|can't|is|are|the program|our|no)\b)",
        sentence, flags=re.I)
    return [p.strip(" ,.") for p in parts if p and p.strip(" ,.")]
