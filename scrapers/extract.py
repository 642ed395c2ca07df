"""IMG facts from a program page, each with the sentence that states it and a confidence.

The page is read once into a document model (`scrapers.document`); each fact group's rules
(`scrapers/facts/*.py`) propose candidates from single sentences in their context; here the
strongest statement of each fact wins, and two equally strong statements that disagree leave the
fact null with both sentences kept (LABELING.md: contradictions are null). Precision matters more
than recall: a wrong "no visa" costs an applicant a program, a null only sends them to ask.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import re2

from scrapers import document
from scrapers.facts import CATALOGUE, FIELDS, Candidate, attempts, clinical, ecfmg, graduation, imgs, scores, visa  # noqa: F401
from scrapers.residents import classify_school, parse_residents

RULES = (visa, scores, attempts, graduation, clinical, ecfmg, imgs)


def _for_lowered(pattern: str) -> re.Pattern:
    """A trigger for text lower-cased once per unit: re.I costs twice as much as one str.lower() per
    unit, and the triggers run over every unit of every page. A trigger must be written in lower
    case (no capitals, no upper-case escapes such as \\S) to be used this way."""
    if pattern != pattern.lower():
        raise ValueError(f"trigger not in lower case, it would never match lowered text: {pattern}")
    return re.compile(pattern)


TRIGGERS = {rules: _for_lowered(rules.TRIGGER.pattern) for rules in RULES}
FINISH = {rules: getattr(rules, "finish", list) for rules in RULES}  # a group's pass over all its candidates, if it has one

# Python's re tries a long alternation position by position: the seven triggers as one pattern cost
# a quarter of extraction. RE2 scans once for all of them (about 10x cheaper), and tells which
# groups may concern a unit; Python's exact trigger then confirms, so RE2 only has to be no
# narrower than re, never equal to it.
_ALLOWED_ESCAPES = set(r"bsd.-()[]?*+|/")
_UNICODE_SPACE = r"\s\pZ\x{85}\x{1c}-\x{1f}"  # what Python's \s matches beyond RE2's ASCII \s


def _widened(pattern: str) -> str:
    r"""The trigger in RE2 syntax, matching every string Python's re matches (and perhaps more).

    RE2's \b, \s and \d are ASCII, Python's are Unicode: \b is dropped (looser), \s and \d
    become their Unicode classes. Any other escape is refused rather than guessed at."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            esc = pattern[i + 1]
            if esc not in _ALLOWED_ESCAPES:
                raise ValueError(f"trigger escape \\{esc} has no RE2 widening yet: {pattern}")
            if esc == "s":
                out.append(_UNICODE_SPACE if in_class else f"[{_UNICODE_SPACE}]")
            elif esc == "d":
                out.append(r"\p{Nd}")
            elif esc != "b":
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def _trigger_set(rules_list) -> re2.Set:
    found = re2.Set.SearchSet()
    for rules in rules_list:
        found.Add(_widened(TRIGGERS[rules].pattern))
    found.Compile()
    return found


ANY_TRIGGER = _trigger_set(RULES)  # Match(probe) -> indices into RULES whose trigger may match, or None


@dataclass(frozen=True)
class Fact:
    value: object
    sentence: str
    url: str | None = None
    confidence: str = "stated"


@dataclass
class ProgramFacts:
    url: str | None
    facts: dict = field(default_factory=dict)  # field -> Fact
    conflicts: dict = field(default_factory=dict)  # field -> [sentences that disagree]
    residents_listed: int | None = None
    residents_img: int | None = None
    residents_unknown: int | None = None
    schools: list = field(default_factory=list)

    def as_json(self) -> dict:
        out = {f: (self.facts[f].value if f in self.facts else None) for f in FIELDS}
        out["url"] = self.url
        out["residents_listed"] = self.residents_listed
        out["residents_img"] = self.residents_img
        out["evidence"] = {f: fact.sentence for f, fact in self.facts.items()}
        out["confidence"] = {f: fact.confidence for f, fact in self.facts.items()}
        if self.conflicts:
            out["conflicts"] = self.conflicts
        return out


def resolve(cands: list[Candidate], url: str | None) -> tuple[dict, dict]:
    """Strongest candidate per field; a tie that disagrees is a conflict (null, sentences kept)."""
    facts, conflicts = {}, {}
    by_field: dict[str, list[Candidate]] = {}
    for c in cands:
        by_field.setdefault(c.field, []).append(c)
    for name, group in by_field.items():
        top = max(c.strength for c in group)
        best = [c for c in group if c.strength == top]
        values = {repr(c.value) for c in best}
        if len(values) > 1:
            seen = []
            for c in best:
                if c.sentence not in seen:
                    seen.append(c.sentence)
            conflicts[name] = seen
            continue
        confidence = "stated" if any(c.confidence == "stated" for c in best) else "inferred"
        facts[name] = Fact(best[0].value, best[0].sentence, url, confidence)
    return facts, conflicts


def read_document(doc: document.Document, url: str | None = None) -> ProgramFacts:
    cands: list[Candidate] = []
    by_rules: list[list] = [[] for _ in RULES]  # per fact group: (unit, lowered probe) its trigger may concern
    for unit in doc.units:
        if len(unit.text) > 1500:
            continue
        probe = f"{unit.text} {unit.context}".lower()
        for i in ANY_TRIGGER.Match(probe) or ():
            by_rules[i].append((unit, probe))
    for rules, probes in zip(RULES, by_rules):
        trigger = TRIGGERS[rules]
        found = [c for unit, probe in probes if trigger.search(probe) for c in rules.read(unit, doc)]
        cands.extend(FINISH[rules](found))
    facts, conflicts = resolve([c for c in cands if c.value is not None], url)
    if "usce_min_months" in facts and getattr(facts.get("usce_required"), "value", None) is not True:
        facts.pop("usce_min_months")
    if "requires_step3_for_h1b" in facts and getattr(facts.get("sponsors_h1b"), "value", None) is False:
        facts.pop("requires_step3_for_h1b")  # a Step 3 condition for a visa the program does not sponsor
    return ProgramFacts(url=url, facts=facts, conflicts=conflicts)


def extract_facts(content: str, url: str | None = None, is_html: bool = True) -> ProgramFacts:
    """Pure: page text in, facts with evidence out."""
    doc = document.from_html(content) if is_html else document.from_text(content)
    out = read_document(doc, url)
    schools = parse_residents(doc.tree) if doc.tree is not None else []
    if schools:
        kinds = [classify_school(s) for s in schools]
        out.schools = schools
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
