"""A program page as the rules read it: sentences that keep their context.

Built once per page from lxml. Each `Unit` is one sentence with what surrounds it on the page:
the heading path above it (h1–h4, bold lead lines, short title lines), the line that introduces
its list ("Applicants must have:"), the FAQ question it answers, and for table rows the header
cells. Rules read units, never raw HTML, so "Preferred criteria" above a list, or "Do you sponsor
H-1B?" above a bare "No.", reaches the rule that needs it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from scrapers import markup

_SKIP = {"script", "style", "noscript", "template", "svg", "iframe", "head", "nav", "button", "select", "option"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 5}
_BLOCK = {"p", "div", "section", "article", "main", "aside", "header", "footer", "blockquote", "address", "form",
          "details", "summary", "caption", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "body", "html",
          "center", "figure", "figcaption", "pre", "fieldset", "legend", "hr"}
_ITEMS = {"li", "dt", "dd"}
_STARTS = _BLOCK | _ITEMS | set(_HEADINGS)  # tags that begin a new line of text
_TRANSLATE = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": " - ", "\u2014": " - ",
                            "\u2212": "-", "\u00a0": " ", "\u2019": "'", "\u2018": "'", "\u201c": '"',
                            "\u201d": '"', "\u2265": ">=", "\u00ac": " ", "\u200b": "", "\u00ad": ""})
if any(code < 128 for code in _TRANSLATE):  # normalize() skips ASCII text, so an ASCII key would never apply
    raise ValueError("_TRANSLATE may only map non-ASCII characters")
_BULLET = re.compile(r"^\s*(?:[\u2022\u25cf\u25aa\u25e6\u00b7*\-]\s*|o\s+)")
_ENUM = re.compile(r"^\s*(?:\d{1,2}[.)]|[a-hA-H][.)]|\(\w\)|[ivx]{1,4}[.)])\s+")
_ABBREV = re.compile(r"\b(?:U\.S|U\.K|Dr|Mr|Ms|Mrs|e\.g|i\.e|eg|ie|etc|vs|St|Jr|Sr|approx|incl|Ph\.D|M\.D|D\.O|No|Univ|Dept)\.$", re.I)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_NUMBER_IN_PARENS = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s*\((\d{1,2})\)", re.I)


def normalize(text: str) -> str:
    if not text.isascii():  # every character _TRANSLATE maps is non-ASCII, and translate is slow per character
        text = text.translate(_TRANSLATE)
    if "(" in text:  # most pieces have none, and the substitution is the dearer half of this function
        text = _NUMBER_IN_PARENS.sub(r"\2", text)  # "three (3) years" reads as "3 years"
    return _SPACES.sub(" ", text)


class Unit(NamedTuple):  # a tuple: a page makes a dozen of these per block, and a frozen dataclass builds 3x slower
    text: str
    kind: str  # para | item | answer | row | heading | question
    headings: tuple = ()  # nearest last
    lead: str = ""  # the line that introduces the list this item belongs to
    question: str = ""  # the FAQ question this sentence answers
    block: int = 0  # index into Document.blocks: sentences of one paragraph or item share it
    first: bool = True  # first sentence of its block (a direct answer sits there)

    @property
    def context(self) -> str:
        """Headings, list lead and question: what frames the sentence."""
        return " | ".join([*self.headings, self.lead, self.question]).strip(" |")


@dataclass
class Document:
    units: list = field(default_factory=list)
    blocks: list = field(default_factory=list)  # full text of each block
    tree: object = None  # the lxml tree, for readers of structure (residents rosters, links)

    def block_text(self, unit: Unit) -> str:
        return self.blocks[unit.block]


_LONE_ENUM = re.compile(r"^\s*(?:\d{1,2}|[a-hA-H]|[ivx]{1,4})\.$")
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"'(]?[A-Z0-9])|[.!?:](?=\s+(?:\d{1,2}[.)]|[a-h][.)])\s)")


def split_sentences(line: str) -> list[str]:
    parts, start = [], 0
    for m in _SENTENCE_END.finditer(line):
        if m.group() == "." and (_ABBREV.search(line[start:m.end()]) or _LONE_ENUM.match(line[start:m.end()])):
            continue  # "U.S." or a list's "a." is no sentence of its own
        parts.append(line[start:m.end()].strip())
        start = m.end()
    parts.append(line[start:].strip())
    return [p for p in parts if p]


# ---------------------------------------------------------------- lines from HTML

def _lines_from_tree(root) -> list[tuple[str, str, list | None]]:
    """(kind, text, cells) in page order; kind is h1..h5, item, para, bold, row."""
    out: list = []
    buf: list[str] = []
    state = {"kind": "para", "bold_only": True}

    def flush():
        raw = "".join(buf)
        buf.clear()
        text = "" if raw.isspace() or not raw else normalize(raw).strip()  # most flushes hold only layout whitespace
        if text:
            for i, piece in enumerate(_split_soft_lines(text)):
                # "a. …", "2) …" lines inside one paragraph are the items of a list it introduces
                kind = "item" if i and state["kind"] == "para" and (_ENUM.match(piece) or _BULLET.match(piece)) else state["kind"]
                out.append((kind, piece, None))
        state["kind"], state["bold_only"] = "para", True

    def walk(el, kind):
        # el.tag, el.text and child.tail each build a new Python string per access: read once
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:
            return
        if tag == "table":
            flush()
            _table(el, out)
            return
        is_heading, is_item = tag in _HEADINGS, tag in _ITEMS
        starts = is_heading or is_item or tag in _BLOCK or tag == "br"
        if starts:
            flush()
            if is_heading:
                state["kind"] = f"h{_HEADINGS[tag]}"
            elif is_item:
                state["kind"] = "item"
            elif kind in ("item",) or kind.startswith("h"):
                state["kind"] = kind
            child_kind = f"h{_HEADINGS[tag]}" if is_heading else ("item" if is_item else kind)
        text = el.text
        if text:
            buf.append(text)
            if tag not in ("strong", "b") and state["kind"] == "para" and text.strip():
                state["bold_only"] = False
        for child in el:
            ctag = child.tag
            if ctag in ("strong", "b") and not starts_block(child):
                buf.append(markup.text_content(child))
                tail = child.tail
                if tail:
                    buf.append(tail)
                    if tail.strip():
                        state["bold_only"] = False
                continue
            if isinstance(ctag, str):  # comments and processing instructions hold no text, only a tail
                walk(child, child_kind if starts else state["kind"])
            tail = child.tail
            if tail:
                buf.append(tail)
                if state["kind"] == "para" and tail.strip():
                    state["bold_only"] = False
        if starts:
            if state["kind"] == "para" and state["bold_only"] and "".join(buf).strip():
                state["kind"] = "bold"
            flush()

    def starts_block(el):
        return any((c.tag if isinstance(c.tag, str) else "") in _STARTS for c in el.iter())

    body = root.find(".//body")
    walk(body if body is not None else root, "para")
    flush()
    return out


def _split_soft_lines(text: str) -> list[str]:
    """Newlines inside one HTML block: a break where the source clearly starts a new line."""
    if "\n" not in text:
        return [text.strip()]
    lines = [ln.strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    out: list[str] = []
    for ln in lines:
        new_line = (not out or re.search(r"[.!?:;)]$", out[-1]) or _BULLET.match(ln) or _ENUM.match(ln)
                    or (len(out[-1]) < 70 and ln[:1].isupper() and not re.search(r"[,(]$|\b(?:and|or|the|of|to|a|an|in|for|with)$", out[-1], re.I)))
        if new_line:
            out.append(ln)
        else:
            out[-1] = f"{out[-1]} {ln}"
    return out


def _table(table, out) -> None:
    header: list[str] = []
    for tr in table.iter("tr"):
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
        texts = [normalize(markup.text_content(c)).strip() for c in cells]
        if not any(texts):
            continue
        if all(c.tag == "th" for c in cells) and not header:
            header = texts
            out.append(("row", " | ".join(t for t in texts if t), None))
            continue
        if len(texts) == 2 and texts[0] and texts[1]:
            out.append(("row", f"{texts[0]}: {texts[1]}", texts))  # "label: value" reads as a question and its answer
        elif header and len(header) == len(texts):
            labelled = [f"{h}: {t}" if h and t else t for h, t in zip(header, texts)]
            out.append(("row", "; ".join(t for t in labelled if t), texts))
        else:
            out.append(("row", ": ".join(t for t in texts if t), texts))


def lines_from_text(text: str) -> list[tuple[str, str, None]]:
    """Plain text: blank lines separate blocks, bullets mark list items."""
    out = []
    for raw in normalize(text).split("\n"):
        if raw.startswith("URL: ") or not raw.strip():
            continue
        kind = "item" if _BULLET.match(raw) or _ENUM.match(raw) else "para"
        line = _BULLET.sub("", raw).strip()
        if line:
            out.append((kind, line, None))
    return out


# ---------------------------------------------------------------- units from lines

_TITLE_PUNCTUATION = re.compile(r"[.!?,;]$|,|:\s")
_TITLE_VERBS = re.compile(r"\b(?:must|should|will|are|is|we|you|required|do not|only)\b", re.I)
_THREE_DIGITS = re.compile(r"\d{3}")
_QUESTION_MARK = re.compile(r"^(?:q|question)\s*[:.)]", re.I)
_QUESTION_LABEL = re.compile(r"^(?:q|question)\s*[:.)]\s*", re.I)
_ANSWER_LABEL = re.compile(r"^(?:a|answer)\s*[:.)]\s+", re.I)


def _is_title(text: str) -> bool:
    """A short line without sentence punctuation reads as a heading ("Preferred Criteria")."""
    return (len(text) <= 80 and text[:1].isupper() and len(text.split()) <= 10 and not _TITLE_PUNCTUATION.search(text)
            and not _TITLE_VERBS.search(text) and not _THREE_DIGITS.search(text))


def _is_question(text: str) -> bool:
    return text.endswith("?") or bool(_QUESTION_MARK.match(text))


_QUESTION_SPLIT = re.compile(r"(?<=\?)\s+(?=\S)")
_POLAR = re.compile(r"^\W*(?:\d{1,2}[.)]\s*)?(?:do|does|did|is|are|am|was|were|can|could|will|would|must|should|shall|may|have|has|need)\b", re.I)
_YES_NO = re.compile(r"^\W*(?:yes|no)\b", re.I)
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)?")
_STOP = frozenset("a an the and or of to in on for at by with from as is are be been do does did you your we our us i my me it "
                  "this that these those there their they them can could will would must should may have has had not no yes if "
                  "what which who how when where why any all program programs residency".split())


def _questions(text: str) -> list[str]:
    """"Do you accept IMGs? How many of your residents are IMGs?" is two questions."""
    return [q for q in _QUESTION_SPLIT.split(text) if q.strip()] or [text]


def _stems(text: str) -> set:
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in _WORD.findall(text.lower()) if w not in _STOP}


_INLINE_ANSWER = re.compile(r"\?\s+(?:a|answer)\s*[:.)]\s+", re.I)


def _split_labelled_answers(lines):
    """"Q: Do you take IMGs? A: Yes." on one line (a page whose lines were joined) is a question and
    its answer, as it is on two lines."""
    for kind, text, cells in lines:
        m = _INLINE_ANSWER.search(text) if kind != "row" and _QUESTION_MARK.match(text) else None
        if m:
            yield kind, text[:m.start() + 1], cells
            yield "para", text[m.end():], cells
        else:
            yield kind, text, cells


def bind_answer(questions: list[str], answer: str, previous: str = "") -> str:
    """The one question a sentence answers, when several stand above it.

    FAQ pages stack questions whose own answers were lost, or ask two things and answer them in
    turn: a "Yes" after "Must I be a citizen? Do you offer visas?" answers whichever question its
    own words take up. A Yes or No answers only a yes/no question; among those, the question
    sharing most words with the sentence wins; on a tie the one bound before, else the nearest."""
    if len(questions) == 1:
        return questions[0]
    pool = [q for q in questions if _POLAR.match(q)] if _YES_NO.match(answer) else []
    pool = pool or questions
    words = _stems(answer)
    overlap = [len(words & _stems(q)) for q in pool]
    best = max(overlap)
    tied = [q for q, n in zip(pool, overlap) if n == best]
    return previous if previous in tied else tied[-1]


def build(lines: list[tuple[str, str, list | None]], tree=None) -> Document:
    doc = Document(tree=tree)
    headings: list[tuple[int, str]] = []
    lead = question = ""
    asked: list[str] = []  # questions stacked since the last answer; the first answer binds to one of them
    prev = ""  # kind of the previous line: heading | question | item | para
    heads: tuple = ()  # the heading texts of `headings`, rebuilt only when they change
    for kind, text, cells in _split_labelled_answers(lines):
        if question or asked:
            text = _ANSWER_LABEL.sub("", text)
        is_question = _is_question(text)
        level = int(kind[1]) if kind.startswith("h") else (6 if kind == "bold" else 0)
        if not level and kind == "para" and not is_question and _is_title(text):
            level = 7
        if level and is_question:
            level = 0  # FAQ questions are often marked up as headings
        if level:
            doc.blocks.append(text)
            doc.units.append(Unit(text, "heading", heads, block=len(doc.blocks) - 1))
            headings = [h for h in headings if h[0] < level] + [(level, text.rstrip(":").strip())]
            heads = tuple(h[1] for h in headings)
            lead = question = ""
            asked = []
            prev = "heading"
            continue
        if kind != "row" and is_question and len(text) < 400:
            q = _QUESTION_LABEL.sub("", text)
            asked = [*asked, *_questions(q)] if prev == "question" else _questions(q)  # two questions, one answer
            question = ""
            lead = ""
            doc.blocks.append(q)
            doc.units.append(Unit(q, "question", heads, block=len(doc.blocks) - 1))
            headings = [h for h in headings if h[0] < 7]  # a title line does not frame the FAQ below it
            heads = tuple(h[1] for h in headings)
            prev = "question"
            continue
        if asked and prev == "question":
            question = bind_answer(asked, text) if len(asked) == 1 else ""
        is_item = kind == "item"
        if not is_item:
            lead = ""
        doc.blocks.append(text)
        block = len(doc.blocks) - 1
        if kind == "row":
            label = cells[0] if cells and len(cells) == 2 else ""
            doc.units.append(Unit(text, "row", heads, "", label, block, first=True))
            prev = "para"
            continue
        sents = split_sentences(text)
        after_question = prev == "question"
        inline_lead = ""  # "Criteria include: a. … b. …" run together in one paragraph
        for i, s in enumerate(sents):
            if s.endswith("?") and i + 1 < len(sents) and len(s) < 300:
                question, after_question, asked = s, True, [s]  # "Do you sponsor H-1B? No." in one paragraph
                continue
            if len(asked) > 1:  # stacked questions: each sentence answers the one its words take up
                question = bind_answer(asked, s, question)
            unit_kind = "item" if is_item else ("row" if kind == "row" else ("answer" if question else "para"))
            unit_lead = lead if is_item else ""
            if inline_lead and _ENUM.match(s):
                unit_kind, unit_lead = "item", inline_lead
            elif s.endswith(":"):
                inline_lead = s
            doc.units.append(Unit(s, unit_kind, heads, unit_lead, question, block, first=after_question))
            after_question = False
        if text.endswith(":"):
            lead = f"{lead} {text}".strip() if is_item else text  # "Applicants must have:" frames the list
        prev = "item" if is_item else "para"
    return doc


def from_html(html: str) -> Document:
    tree = markup.parse(html)
    if tree is None:
        return Document()
    return build(_lines_from_tree(tree), tree)


def from_text(text: str) -> Document:
    return build(lines_from_text(text))
