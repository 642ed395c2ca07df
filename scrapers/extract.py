"""Rules that read IMG policies from a program page, each fact with the sentence that states it.

A fact is set only when a sentence states a rule; soft preferences ("preferred", "strongly
encouraged", "preference is given") and figures that describe residents (averages) leave it
null. Precision matters more than recall: a wrong "no visa" costs an applicant a program.
COMLEX figures are never read as USMLE figures.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from scrapers import page_text
from scrapers.residents import classify_school, parse_residents

FIELDS = ("sponsors_j1", "sponsors_h1b", "requires_step3_for_h1b", "step1_min", "step2ck_min",
          "max_attempts", "yog_max_years", "usce_required", "usce_min_months", "ecfmg_required_by",
          "accepts_imgs")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "single": 1}
_N = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"

J1 = re.compile(r"\bj[\s-]?1\b(?![\s-]?[0-9])|\becfmg[\s-]+sponsored\b|\bexchange visitor", re.I)
H1B = re.compile(r"\bh[\s-]?1[\s-]?b\b|\bh[\s-]?1\b(?![\s-]?[0-9a-z])", re.I)
VISA = re.compile(r"\bvisas?\b", re.I)
NEG = re.compile(r"\b(?:do|does|did|will|would|can|could|are|is|was)\s*(?:not|n't)\b|\b(?:don't|doesn't|won't|can't|cannot|unable|no longer)\b"
                 r"|\bnot\s+(?:able|eligible|available|offered|accepted|sponsored|supported|provided|possible|consider)"
                 r"|\bnone\b|\bno\s+(?=(?:j|h|visa|sponsor|exceptions? for))", re.I)
VISA_NEG = re.compile(r"\b(?:do|does|did|will|would|can|could|are|is)\s*(?:not|n't)\s+(?:\w+\s+){0,2}?(?:sponsor|accept|offer|support|provide|process|consider|available|eligible)"
                      r"|\b(?:don't|doesn't|won't|can't|cannot|unable to|no longer)\s+(?:\w+\s+){0,2}?(?:sponsor|accept|offer|support|provide|process|consider)"
                      r"|\bnot\s+(?:available|offered|accepted|sponsored|supported|provided|possible)|\bnone\b|\bno\s+(?:j|h)[\s-]?1|\bno\s+visas?\b|\bno\s+sponsor", re.I)
VISA_POS = re.compile(r"\b(?:sponsor\w*|accept\w*|welcome\w*|support\w*|consider\w*|offer\w*|available|provide\w*|eligible|yes)\b|^\s*visas?\s*:", re.I)
EXCLUSIVE = re.compile(r"\bonly\s+(?:sponsor|accept|support|offer|consider|provide)s?\b(?!\s+\w+\s+(?:for|if|when|with))"
                       r"|\bonly\b\s+(?:the\s+)?(?:j|h)[\s-]?1|(?:j[\s-]?1|h[\s-]?1[\s-]?b?)\s*(?:\(ecfmg\)\s*)?(?:visas?\s*)?(?:sponsorship\s*)?(?:\([^)]*\)\s*)?(?:only|exclusively)\b(?!\s+(?:for|if|when|with|after|to))", re.I)
STEP3 = re.compile(r"\bstep\s*(?:3|iii|three)\b", re.I)
SOFT = re.compile(r"\bprefer\w*|\bpreference|\bencourag\w*|\bideal(?:ly)?\b|\btypical(?:ly)?\b|\brecommend\w*|\bfavou?r\w*|\bcompetitive\b|\badvantage\w*|\bdesir\w*|\bhelpful\b|\bbeneficial\b|\bexample\b|\bstrong(?:ly)?\b|\bgenerally\s+(?:look|seek)|\bsuggest", re.I)
DESCRIPTIVE = re.compile(r"\baverage\b|\bmean\b|\bmedian\b|\brange\b|\bour (?:current )?(?:residents|interns|class)|\bmatched\b|\binterviewed\b|\bsuccessful applicants\b|\bscored\b", re.I)
STEP1 = re.compile(r"\bstep\s*(?:1|i|one)\b(?!\s*(?:/|and|&)\s*(?:2|ii)\b)", re.I)
STEP2 = re.compile(r"\bstep\s*(?:2|ii|two)\b(?!\s*cs)(?:\s*(?:ck|clinical knowledge))?", re.I)
BOTH_STEPS = re.compile(r"\b(?:both|all|each) (?:usmle )?(?:steps|exams)\b|\bsteps?\s*(?:1|i)\s*(?:/|and|&|,)\s*(?:step\s*)?(?:2|ii)\b|\bsteps 1 and 2\b", re.I)
USMLE = re.compile(r"\busmle\b", re.I)
COMLEX = re.compile(r"\bcomlex\b|\blevel\s*(?:1|2|i|ii)\b", re.I)
SCORE = re.compile(r"(?<![\d/.-])([12]\d\d)(?![\d/-]|\s*(?:months|weeks|hours|positions|residents|programs|applicants|%))")
MIN_CUE = re.compile(r"\bminimum\b|\bmin\b|\bat least\b|\bor (?:higher|above|greater|better|more)\b|>=|>\s*\d|\bcut-?offs?\b|\bno (?:less|lower) than\b|\bnot (?:less|lower) than\b"
                     r"|\brequire\w*|\bthreshold\b|\bmust (?:score|have|achieve|obtain)\b|\bneed\b|\brequest\b|\babove\b|\bfloor\b", re.I)
ATTEMPT_CTX = re.compile(r"\busmle\b|\bstep\b|\bcomlex\b|\bexam\w*|\bboards?\b|\battempts?\b|\bfail\w*|\btries\b|\btry\b|\bpass\w*", re.I)
GRAD = re.compile(r"\bgraduat\w*|\byog\b|\bmedical school\b", re.I)
USCE = re.compile(r"\busce\b|\bu\.?\s?s\.?\s+(?:based\s+)?(?:hands-on\s+)?clinical (?:experience|rotations?)"
                  r"|\b(?:clinical|hands-on|patient[- ]care)\b[\w\s,-]{0,40}?\bexperience\s+(?:\w+\s+){0,3}?in\s+(?:the\s+)?(?:us|u\.s\.?|united states|usa)\b"
                  r"|\bus\s+(?:hands-on|healthcare|health care|clinical)\b|\bamerican clinical experience", re.I)
REQ = re.compile(r"\brequired\b|\bmust\b|\bmandatory\b|\brequirement\b|\bneed(?:s|ed)?\b|\bminimum\b|\bat least\b|\bessential\b|\brequires\b", re.I)
NOT_REQ = re.compile(r"\bnot (?:required|necessary|mandatory|a requirement|needed|require)\b|\bis optional\b|\b(?:do|does) not (?:need|require)\b|\bdon't need\b|\bno (?:usce|us clinical experience|u\.s\. clinical experience) (?:is )?required", re.I)
CONDITIONAL = re.compile(r"\bif\b|\bunless\b|\bthose who\b|\bapplicants who (?:graduated|have been out)\b", re.I)
ECFMG_CERT = re.compile(r"\b(?:ecfmg|educational commission for foreign medical graduates)\b[^.?]{0,60}?\bcertif\w*|\bcertif\w*[^.?]{0,80}?\b(?:ecfmg|educational commission for foreign medical graduates)\b|\becfmg[\s-]certified\b", re.I)
IMG = re.compile(r"\binternational medical graduates?\b|\bimgs?\b|\bforeign medical graduates?\b|\bfmgs?\b|\binternational (?:medical )?applicants\b"
                 r"|\bgraduates of (?:foreign|international|non-u\.?s\.?) (?:medical )?schools\b|\bnon-u\.?s\.? (?:medical )?graduates\b", re.I)
IMG_POS = re.compile(r"\b(?:welcome\w*|encourag\w*|accept\w*|consider\w*|eligible|may apply|can apply|are invited|invite|yes|review\w*|interview\w*)\b", re.I)
IMG_ONLY_US = re.compile(r"\bonly (?:accept )?(?:graduates|applicants) (?:of|from) (?:lcme|u\.?s\.?|us|american|accredited)", re.I)
YES = re.compile(r"\?\s*(?:a[:.)]\s*|answer:\s*)?(?:yes|absolutely|we do\b(?!\s*not)|certainly)\b", re.I)
NO = re.compile(r"\?\s*(?:a[:.)]\s*|answer:\s*)?(?:no|no,|no\.|unfortunately|we do not|we don't|sorry)\b", re.I)

TIMING = {
    "application": re.compile(r"\b(?:at|by) the time (?:of|you submit) (?:your |the )?(?:application|applying)|\b(?:prior to|before|upon) (?:submitting |you )?(?:an |your |the )?(?:application|applying|apply)\b|\bto apply\b|\bapplication deadline\b|\bwhen (?:you )?apply", re.I),
    "rank": re.compile(r"\brank(?:ing)?\b|\brank (?:order )?list|\bmatch list\b|\b(?:prior to|before|by) the match\b|\bmatch day\b", re.I),
    "start": re.compile(r"\bstart(?:ing)? (?:of |date|the )?(?:training|residency|the residency|the program|employment|pgy|internship)?|\bprior to (?:appointment|employment|beginning|starting)|\b(?:by|before) july 1|\bjune 30(?:th)?\b|\bbeginning (?:of )?(?:training|residency)|\bcommencement\b|\bbefore (?:you )?(?:start|begin)\b|\bprogram start\b|\bappointment\b", re.I),
}


@dataclass(frozen=True)
class Fact:
    value: object
    sentence: str
    url: str | None = None


@dataclass
class ProgramFacts:
    url: str | None
    facts: dict = field(default_factory=dict)  # field -> Fact
    residents_listed: int | None = None
    residents_img: int | None = None
    residents_unknown: int | None = None
    schools: list = field(default_factory=list)

    def as_json(self) -> dict:
        out = {f: (self.facts[f].value if f in self.facts else None) for f in FIELDS}
        out["residents_listed"] = self.residents_listed
        out["residents_img"] = self.residents_img
        out["evidence"] = {f: fact.sentence for f, fact in self.facts.items()}
        return out


def _num(tok: str) -> int:
    return int(tok) if tok.isdigit() else NUMBER_WORDS[tok.lower()]


def clauses(sentence: str) -> list[str]:
    parts = re.split(r";|(?<=[a-z0-9)])\.\s+(?-i:(?=[A-Z0-9]))|,\s*(?=(?:but|however|although|though|otherwise|whereas|while|and (?:we|do|does|will|is|are|the program))\b)"
                     r"|\s+(?=(?:but|however|although|though|otherwise|whereas)\b)|\s+and\s+(?=(?:we|do|does|will|cannot|can't|is|are|the program|our)\b)",
                     sentence, flags=re.I)
    return [p.strip() for p in parts if p and p.strip()]


class _Collector:
    """Keeps the strongest candidate per field; equal strength keeps the first seen."""

    def __init__(self, url):
        self.url, self.best = url, {}

    def add(self, name, value, sentence, strength=1):
        cur = self.best.get(name)
        if cur is None or strength > cur[0]:
            self.best[name] = (strength, Fact(value, sentence, self.url))


def _visa(sent: str, col: _Collector, generic_negatives: list) -> None:
    qa_yes, qa_no = YES.search(sent), NO.search(sent)
    question = sent.split("?")[0] if "?" in sent else None
    if question is not None and (qa_yes or qa_no) and (J1.search(question) or H1B.search(question)):
        value = bool(qa_yes)
        answer = sent.split("?")[-1]
        # "Do you sponsor J-1 or H-1B? We do not sponsor visas." is a generic no: a J-1 the same page
        # says it accepts (ECFMG-sponsored) outranks it; H-1B stays no.
        generic_no = not value and J1.search(question) and H1B.search(question) and not (J1.search(answer) or H1B.search(answer))
        if VISA_POS.search(question) or re.search(r"\b(?:train|come)\b.*\bon an?\b", question, re.I):
            if J1.search(question):
                col.add("sponsors_j1", value, sent, 0 if generic_no else 2)
            if H1B.search(question):
                col.add("sponsors_h1b", value, sent, 2)
                if value and STEP3.search(sent):
                    col.add("requires_step3_for_h1b", True, sent, 2)
        return
    q_pos = bool(question and VISA_POS.search(question))
    body = sent.split("?", 1)[1] if question is not None else sent
    for cl in clauses(body):
        j, h = J1.search(cl), H1B.search(cl)
        neg = VISA_NEG.search(cl)
        if not (j or h):
            if neg and VISA.search(cl) and re.search(r"sponsor", cl, re.I) and not re.search(r"\bonly\b|\bexcept\b|\bother than\b", cl, re.I):
                generic_negatives.append(sent)
            elif question and qa_no and VISA.search(question) and re.search(r"sponsor", question, re.I) and not (J1.search(question) or H1B.search(question)):
                generic_negatives.append(sent)
            continue
        if re.search(r"\bmust (?:have|hold|obtain)\b|\bholders? of\b|\bcurrently (?:on|hold)", cl, re.I) and not VISA_POS.search(cl.replace("holders", "")):
            continue  # a visa the applicant brings, not one the program sponsors
        if neg:
            if j:
                col.add("sponsors_j1", False, sent, 2)
            if h:
                col.add("sponsors_h1b", False, sent, 2)
            continue
        exclusive = EXCLUSIVE.search(cl)
        positive = VISA_POS.search(cl) or exclusive or q_pos or re.search(r"\bonly (?:for|if|when|with)\b", cl, re.I)
        if not positive:
            continue
        conditional = re.search(r"\b(?:only )?(?:for|if|when|with|after|provided)\b[^.]*\bstep\s*(?:3|iii|three)\b|\brequires?\b[^.]*\bstep\s*(?:3|iii|three)\b|\bstep\s*(?:3|iii|three)\b", cl, re.I)
        if j and not h:
            col.add("sponsors_j1", True, sent, 2 if exclusive else 1)
            if exclusive:
                col.add("sponsors_h1b", False, sent, 2)
        elif h and not j:
            col.add("sponsors_h1b", True, sent, 2 if exclusive else 1)
            if exclusive and not conditional:
                col.add("sponsors_j1", False, sent, 2)
        else:
            col.add("sponsors_j1", True, sent, 1)
            col.add("sponsors_h1b", True, sent, 1)
        if h and conditional and STEP3.search(cl):
            col.add("requires_step3_for_h1b", True, sent, 2)
    if H1B.search(sent) and STEP3.search(sent) and re.search(r"\b(?:requires?|required|must|only|need|passed|pass(?:ing)?)\b", sent, re.I) \
            and not re.search(r"step\s*(?:3|iii)[^.]*\bnot required\b", sent, re.I) and not NEG.search(sent):
        col.add("requires_step3_for_h1b", True, sent, 1)
        col.add("sponsors_h1b", True, sent, 0)


def _scores(sent: str, col: _Collector) -> None:
    if DESCRIPTIVE.search(sent):
        return
    for cl in clauses(sent) if "?" not in sent else [sent]:
        if SOFT.search(cl) and not re.search(r"\bminimum\b|\brequire", cl, re.I):
            continue
        nums = [m for m in SCORE.finditer(cl) if 180 <= int(m.group(1)) <= 300]
        if not nums or not (MIN_CUE.search(cl) or re.search(r"\bstep\s*(?:1|2|i|ii)\b[^:]{0,25}:\s*\d", cl, re.I) or re.search(r"minimum", sent, re.I)):
            continue
        mentions = [(m.start(), "s1") for m in STEP1.finditer(cl)] + [(m.start(), "s2") for m in STEP2.finditer(cl)]
        mentions += [(m.start(), "usmle") for m in USMLE.finditer(cl)] + [(m.start(), "comlex") for m in COMLEX.finditer(cl)]
        if BOTH_STEPS.search(cl):
            mentions.append((BOTH_STEPS.search(cl).start(), "usmle"))
        if not mentions:
            continue
        both = BOTH_STEPS.search(cl) or ({"s1", "s2"} <= {k for _, k in mentions} and len(nums) == 1)
        steps = sorted((p, k) for p, k in mentions if k in ("s1", "s2"))
        if len(nums) > 1 and len(steps) == len(nums) and not any(k == "comlex" for _, k in mentions):
            pairs = [(n, k) for n, (_, k) in zip(nums, steps)]
        else:
            pairs = []
            for i, n in enumerate(nums):
                pos = n.start()
                prev_num_end = nums[i - 1].end() if i else -1
                before = [m for m in mentions if prev_num_end < m[0] < pos]
                nearest = max(before) if before else min(mentions, key=lambda m: abs(m[0] - pos))
                pairs.append((n, "both" if both and nearest[1] != "comlex" else nearest[1]))
        for n, kind in pairs:
            v = int(n.group(1))
            if kind in ("s1", "both", "usmle"):
                col.add("step1_min", v, sent)
            if kind in ("s2", "both", "usmle"):
                col.add("step2ck_min", v, sent)


def _attempts(sent: str, col: _Collector) -> None:
    if not ATTEMPT_CTX.search(sent) or SOFT.search(sent):
        return
    s = sent
    # licensure limits ("will not issue a license if a Step was taken more than three times") are rules too
    m = re.search(rf"\b(?:more than|over)\s+{_N}\s+(?:times|attempts)\b[^.]*\b(?:not eligible|ineligible|not licensable|cannot|will not|not be considered)"
                  rf"|\b(?:not eligible|ineligible|not licensable|not (?:issue|grant) (?:a |an )?(?:medical )?licen[cs]e|cannot be licensed)\b[^.]*\b(?:more than|over)\s+{_N}\s+(?:times|attempts)", s, re.I)
    if m:
        col.add("max_attempts", _num(m.group(1) or m.group(2)), sent)
        return
    if CONDITIONAL.search(sent.split("?")[-1]):
        return
    m = re.search(rf"\b(?:maximum|max\.?|no more than|not more than|at most|limit of|up to|within)\s+(?:of\s+)?{_N}\s+(?:attempts|tries|sittings)\b"
                  rf"|\b{_N}\s+attempts\s+(?:or (?:fewer|less)|maximum|max)\b", s, re.I)
    if m:
        col.add("max_attempts", _num(m.group(1) or m.group(2)), sent)
        return
    m = re.search(rf"\b(?:no more than|not more than|at most|maximum of|only)\s+{_N}\s+(?:fail(?:ure|ed attempt|ing attempt|ed)?s?|attempt failures?|unsuccessful attempts?)\b", s, re.I)
    if m:
        col.add("max_attempts", _num(m.group(1)) + 1, sent)
        return
    if re.search(r"\bfirst[- ]attempt|\bfirst (?:try|sitting|time)\b|\bon (?:the|their|a|one) (?:first |single )?attempt\b|\bsingle attempt\b"
                 r"|\bno (?:usmle |exam |step |board )?(?:failures|fails|failed attempts?)\b|\bwithout (?:any )?(?:failures?|failed attempts?)\b|\bnever failed\b|\bno failed\b", s, re.I):
        if not re.search(r"\bnot (?:required|necessary)\b|\bno (?:minimum|cutoff)\b", s, re.I):
            col.add("max_attempts", 1, sent)
            return
    if re.search(r"\b(?:failures?|fails)\b\s*:\s*none\b", s, re.I):
        col.add("max_attempts", 1, sent)
        return
    m = re.search(rf"\battempts\s*:\s*(?:no more than|maximum(?: of)?|max\.?|up to)\s+{_N}\b", s, re.I)
    if m:
        col.add("max_attempts", _num(m.group(1)), sent)
        return
    if "?" in s and NO.search(s) and re.search(r"\bfail\w*|\battempts?\b", s.split("?")[0], re.I) and re.search(r"\baccept|\bconsider|\bapply|\beligible", s.split("?")[0], re.I):
        col.add("max_attempts", 1, sent)


def _yog(sent: str, col: _Collector) -> None:
    sent_ = sent
    sent = IMG.sub("IMG", sent)  # "international medical graduates" says nothing about graduation year
    if not GRAD.search(sent) or SOFT.search(sent) or re.search(r"\bexceptions?\b|\bexperience within\b", sent, re.I):
        return
    m = re.search(rf"\b(?:within|no more than|not more than|less than|fewer than|maximum of|up to|no later than|last|past)\s+(?:the\s+)?(?:last\s+|past\s+)?{_N}\s+years?\b"
                  rf"|\b{_N}\s+years?\s+(?:or (?:less|fewer)|maximum|max)\b|\b{_N}[- ]years?\s+(?:cut-?off|limit)\b", sent, re.I)
    if not m:
        return
    tail = sent[m.end(): m.end() + 60]
    head = sent[max(0, m.start() - 80): m.start()]
    if not (GRAD.search(tail) or GRAD.search(head) or re.search(r"^\s*\w*\s*(?:yog|year of graduation|graduation)\b", sent, re.I)):
        return
    if re.search(r"\b(?:usmle|scores?|step|exam|experience|practice)\b", tail[:25], re.I):
        return
    n = _num(next(g for g in m.groups() if g))
    if 1 <= n <= 20:
        col.add("yog_max_years", n, sent_)


def _usce(sent: str, col: _Collector) -> None:
    qa_no = NO.search(sent)
    question = sent.split("?")[0] if "?" in sent else ""
    mention = USCE.search(sent) or re.search(r"\bclinical experience in the u\.?s\b", sent, re.I)
    if not mention:
        return
    body = sent.split("?")[-1] if question else sent
    if NOT_REQ.search(sent) or (qa_no and re.search(r"\bneed|\brequire|\bmandatory", question, re.I) and not re.search(r"\bmonths?\b", body, re.I)):
        col.add("usce_required", False, sent, 2)
        return
    if SOFT.search(body) or CONDITIONAL.search(body) or re.search(r"\bobservership", body, re.I) and not REQ.search(body):
        return
    if REQ.search(body) or (YES.search(sent) and re.search(r"\bneed|\brequire", question, re.I)):
        col.add("usce_required", True, sent)
        m = re.search(rf"\b{_N}(?:\s*(?:-|to)\s*{_N})?[\s-]+months?\b", body, re.I)
        if m:
            col.add("usce_min_months", _num(m.group(1)), sent)
        else:
            y = re.search(rf"\b{_N}[\s-]+years?\b", body, re.I)
            if y and _num(y.group(1)) <= 3:
                col.add("usce_min_months", 12 * _num(y.group(1)), sent)


def _ecfmg(sent: str, col: _Collector) -> None:
    if not ECFMG_CERT.search(sent) or re.search(r"\beligib\w*|\bcsa\b|\bshould take\b|\bif you\b", sent, re.I):
        return
    hits = [k for k, rx in TIMING.items() if rx.search(sent.split("?", 1)[1] if "?" in sent else sent)]
    if not hits and YES.search(sent):
        hits = [k for k, rx in TIMING.items() if rx.search(sent)]
    if len(hits) == 1:
        col.add("ecfmg_required_by", hits[0], sent)


def _accepts(sent: str, col: _Collector) -> None:
    if IMG_ONLY_US.search(sent) and not IMG.search(sent):
        col.add("accepts_imgs", False, sent, 1)
        return
    if not IMG.search(sent):
        return
    question = sent.split("?")[0] if "?" in sent else None
    if question is not None and IMG.search(question) and re.search(r"\baccept|\bconsider|\bapply|\beligible|\btake\b|\btaken\b|\binterview", question, re.I):
        if YES.search(sent):
            col.add("accepts_imgs", True, sent, 2)
            return
        if NO.search(sent):
            col.add("accepts_imgs", False, sent, 2)
            return
    if question is not None and IMG.search(question) and re.search(r"\brequirements?\b", question, re.I):
        answer = sent.split("?")[-1]
        if answer.strip() and not NEG.search(answer) and not NO.search(sent):
            col.add("accepts_imgs", True, sent, 1)  # requirements addressed to IMGs: they are considered
            return
    for cl in clauses(sent.split("?", 1)[1] if question else sent):
        if not IMG.search(cl):
            continue
        if NEG.search(cl) and re.search(r"\baccept|\bconsider|\beligible|\bapplications?\b|\btake\b|\binterview", cl, re.I) and not re.search(r"\bnot (?:required|necessary)|\bno (?:minimum|cut)|\bnot sponsor|\bvisa", cl, re.I):
            col.add("accepts_imgs", False, sent, 2)
        elif IMG_POS.search(cl) and not NEG.search(cl):
            col.add("accepts_imgs", True, sent, 1)


def extract_facts(content: str, url: str | None = None, is_html: bool = True) -> ProgramFacts:
    """Pure: page text in, facts with evidence out."""
    soup = page_text.parse_html(content) if is_html else None
    schools = parse_residents(soup) if is_html else []
    sents = page_text.sentences(page_text.html_lines(soup) if is_html else page_text.text_lines(content))
    col = _Collector(url)
    page_mentions_j1 = any(J1.search(s) for s in sents)
    generic_negatives: list[str] = []
    for s in sents:
        if len(s) > 1200:
            continue
        _visa(s, col, generic_negatives)
        _scores(s, col)
        _attempts(s, col)
        _yog(s, col)
        _usce(s, col)
        _ecfmg(s, col)
        _accepts(s, col)
    if generic_negatives:
        col.add("sponsors_h1b", False, generic_negatives[0], 1)
        if not page_mentions_j1:
            col.add("sponsors_j1", False, generic_negatives[0], 1)
    facts = {k: v[1] for k, v in col.best.items()}
    if "usce_min_months" in facts and facts.get("usce_required", Fact(None, "")).value is not True:
        facts.pop("usce_min_months")
    if facts.get("requires_step3_for_h1b") and "sponsors_h1b" in facts and facts["sponsors_h1b"].value is False:
        facts.pop("requires_step3_for_h1b")
    out = ProgramFacts(url=url, facts=facts, schools=schools)
    if schools:
        kinds = [classify_school(s) for s in schools]
        out.residents_listed = len(schools)
        out.residents_img = kinds.count("img")
        out.residents_unknown = kinds.count("unknown")
    return out


def extract_file(path: str, url: str | None = None) -> dict:
    with open(path, encoding="utf-8", errors="replace") as fh:
        content = fh.read()
    is_html = path.lower().endswith((".html", ".htm"))
    if not is_html and url is None and content.startswith("URL: "):
        url = content.split("\n", 1)[0][5:].strip()
    return extract_facts(content, url, is_html).as_json()


if __name__ == "__main__":  # pragma: no cover
    import sys
    print(json.dumps(extract_file(sys.argv[1])))
