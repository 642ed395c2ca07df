"""Residents' medical schools from a "Current Residents" page, classified US/Canada, IMG or unknown.

Only schools are kept: the warehouse has no use for residents' names. The school list is the
dbt seed `medical_schools_us_ca.csv`, so Python and SQL classify against the same names.
"""
from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

import lxml.html
from lxml import etree

from scrapers import markup

SCHOOLS_SEED = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "medical_schools_us_ca.csv"
_SCHOOLISH = re.compile(r"\b(?:school|college|university|faculty|institute|universidad|universit[eéy]|medicine|medical)\b", re.I)
COUNTRIES_SEED = SCHOOLS_SEED.parent / "img_school_countries.csv"
with COUNTRIES_SEED.open() as _fh:
    # Countries named in residents' school lines; US and Canada are absent on purpose.
    COUNTRIES = [row["country_pattern"] for row in csv.DictReader(_fh)]
_COUNTRY_RE = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in COUNTRIES) + r")\b", re.I)
STATES_SEED = SCHOOLS_SEED.parent / "us_states.csv"
with STATES_SEED.open() as _fh:
    # "University of <state>", "<state> State University", "State University of <state> at ...": a US school.
    # The same seed and rule as dbt's int_residents_classified (a parity test holds them equal).
    _STATES = [row["state_name"].lower() for row in csv.DictReader(_fh)]
# a US state's name is no country's, though one may hold one ("New Mexico"): removed before countries are looked for
_US_STATE_NAME = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in _STATES) + r")\b", re.I)
_US_STATE_SCHOOL = re.compile(r"\b(?:university of|state university)\b.*\b(?:" + "|".join(re.escape(n) for n in _STATES) + r")\b", re.I)


_ROSTER_HEADING = re.compile(r"\b(?:current|our) residents\b|\bmeet (?:the|our) residents\b", re.I)
_RESIDENT_CLASS = etree.XPath("//*[contains(@class, 'resident')]")  # compiled once: a third cheaper per page
_WHITESPACE = re.compile(r"\s+")
_SCHOOL_LABEL = re.compile(r"medical school|school:", re.I)
_SCHOOL_FIELD = re.compile(r"(?:medical school|school)\s*:\s*([^|]+)", re.I)
_NAME_DASH = re.compile(r"\s+[-\u2014\u2013]\s+")  # "Name - School"


@functools.lru_cache(maxsize=1)
def _variants() -> list[str]:
    out = []
    with SCHOOLS_SEED.open() as fh:
        for row in csv.DictReader(fh):
            out.append(row["school_name"].lower())
            out.extend(v.strip().lower() for v in row["name_variants"].split(";") if v.strip())
    return sorted(set(out), key=len, reverse=True)


@functools.lru_cache(maxsize=8192)
def classify_school(school: str) -> str:
    """Cached: the same schools recur on roster after roster, and each call scans every country
    and every US/Canadian name variant."""
    s = school.lower()
    if _COUNTRY_RE.search(_US_STATE_NAME.sub(" ", s)):
        return "img"
    if any(v in s for v in _variants()) or _US_STATE_SCHOOL.search(s):
        return "us_ca"
    return "unknown"


def _text(el, sep=" ") -> str:
    return _WHITESPACE.sub(" ", sep.join(t.strip() for t in el.itertext() if t.strip())).strip()


def _has_class(el, word: str) -> bool:
    return word in (el.get("class") or "")


def parse_residents(html) -> list[str]:
    """Schools of the residents a page lists; empty when the page is not a roster.

    Accepts markup or an lxml tree, so one parse serves both this and fact extraction."""
    root = lxml.html.document_fromstring(html) if isinstance(html, str) else html
    schools: list[str] = []
    for table in root.iter("table"):
        header = [_text(c).lower() for c in table.iter("th")]
        idx = next((i for i, h in enumerate(header) if "school" in h or "education" in h), None)
        if idx is None:
            continue
        for tr in table.iter("tr"):
            cells = [c for c in tr if c.tag == "td"]
            if len(cells) > idx:
                schools.append(_text(cells[idx]))
    if schools:
        return schools
    cards = []
    for el in _RESIDENT_CLASS(root):
        cards.extend(el.findall(".//li") if el.tag in ("ul", "ol") else [el])
    for card in cards:
        if any(_has_class(d, "resident") for d in card.iterdescendants() if isinstance(d.tag, str)):
            continue  # a container of cards; the cards themselves are read
        has_label = any(_SCHOOL_LABEL.search(t) for t in card.itertext())
        text = _text(card, " | ")
        m = _SCHOOL_FIELD.search(text)
        if m:
            schools.append(m.group(1).strip())
        elif card.tag == "li" or has_label:
            parts = _NAME_DASH.split(_text(card), maxsplit=1)
            if len(parts) == 2 and _SCHOOLISH.search(parts[1]):
                schools.append(parts[1].strip())
    if schools:
        return schools
    heading = next((h for h in root.iter("h1", "h2", "h3")
                    if "resident" in markup.text_content(h).casefold()  # cheap and necessary: _text only adds spaces
                    and _ROSTER_HEADING.search(_text(h))), None)
    if heading is not None:
        for li in heading.itersiblings():
            for item in ([li] if li.tag == "li" else li.iter("li")):
                parts = _NAME_DASH.split(_text(item), maxsplit=1)
                if len(parts) == 2 and _SCHOOLISH.search(parts[1]):
                    schools.append(parts[1].strip())
    return schools
