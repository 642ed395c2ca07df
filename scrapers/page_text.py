"""Turns an HTML page (or plain text) into the sentences extraction reads.

Block structure decides sentence boundaries: a table row reads as "label: value", a FAQ
question is joined to its first answer sentence so "Do you sponsor H-1B? No." keeps its meaning.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup

_BLOCKS = ["p", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "dt", "dd", "br", "section",
           "article", "ul", "ol", "table", "header", "footer", "blockquote", "address", "main", "aside",
           "form", "details", "summary", "caption"]
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": " - ",
                         "\u2212": "-", "\u00a0": " ", "\u2019": "'", "\u2018": "'", "\u201c": '"',
                         "\u201d": '"', "\u2265": ">=", "\u00ac": " ", "\u2022": "\n"})
_BULLET = re.compile(r"^\s*(?:[\u2022\u25cf\u25aa\u25e6*\-\u2013\u00b7o]\s+|\d{1,2}[.)]\s+|[a-z][.)]\s+)")
_ABBREV = re.compile(r"\b(?:U\.S|U\.K|Dr|Mr|Ms|Mrs|e\.g|i\.e|etc|vs|St|Jr|Sr|approx|incl|Ph\.D|M\.D|D\.O)\.$", re.I)


def normalize(text: str) -> str:
    return re.sub(r"[ \t\r\f\v]+", " ", text.translate(_DASHES))


def parse_html(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def html_lines(html) -> list[str]:
    """Lines of a page; accepts markup or an already parsed soup (which it rewrites)."""
    soup = html if isinstance(html, BeautifulSoup) else parse_html(html)
    for tag in soup(["script", "style", "noscript", "template", "svg", "iframe"]):
        tag.decompose()
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" | ")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = normalize(soup.get_text(""))
    out = []
    for line in text.split("\n"):
        line = line.strip()
        if "|" in line:
            cells = [c.strip() for c in line.split("|") if c.strip()]
            line = ": ".join(cells)
        if line:
            out.append(line)
    return out


def text_lines(text: str) -> list[str]:
    out = []
    for line in normalize(text).split("\n"):
        line = _BULLET.sub("", line).strip()
        if line and not line.startswith("URL: "):
            out.append(line)
    return out


def split_sentences(line: str) -> list[str]:
    parts, start = [], 0
    for m in re.finditer(r"[.!?](?=\s+[\"'(]?[A-Z0-9])", line):
        if m.group() == "." and _ABBREV.search(line[start:m.end()]):
            continue
        if line[max(0, m.end() - 3):m.end()].lower() == "no." and line[m.end():].lstrip()[:1].isdigit():
            continue  # "No. 5" is a number, not an answer
        parts.append(line[start:m.end()].strip())
        start = m.end()
    parts.append(line[start:].strip())
    return [p for p in parts if p]


def sentences(lines: list[str]) -> list[str]:
    """Sentences in page order, each question joined to the sentence that answers it."""
    flat: list[str] = []
    for line in lines:
        flat.extend(split_sentences(line))
    out, i = [], 0
    while i < len(flat):
        s = flat[i]
        if s.endswith("?"):
            # a FAQ item may ask two questions before one answer: keep them with it
            j = i + 1
            while j < len(flat) and flat[j].endswith("?") and j - i < 3:
                j += 1
            if j < len(flat) and not flat[j].endswith("?"):
                out.append(" ".join(flat[i:j + 1]))
                i = j + 1
                continue
        out.append(s)
        i += 1
    return out


def page_sentences(content: str, is_html: bool = True) -> list[str]:
    return sentences(html_lines(content) if is_html else text_lines(content))
