"""HTML that a message carries as it is, with no transfer encoding.

The email package encodes an HTML part as quoted-printable, in pure Python: ~25 ms of the ~100 ms a
message with a 500 KB page took to build, and 4-5% more bytes. A part that is ASCII, without control
characters, and whose lines are at most 998 octets long (RFC 5322, 2.1.1) needs no encoding ("7bit").

HTML that SmartPick writes can be made so without changing what a browser shows:
- a character beyond ASCII becomes a character reference (`&#233;`), which the parser reads back as the
  same character, in text and in attribute values alike;
- a long line is broken at a space in text: outside tags, scripts, styles, `pre` and `textarea`, a newline
  and a space are the same whitespace.

Scripts, styles, `pre` and `textarea` are kept as they are, so they must be ASCII already (the page's data is JSON with
ASCII escapes). When a page cannot be made so (a script that is not ASCII, a single tag longer than a
line), `seven_bit_html` says None and the message falls back to quoted-printable: slower, never wrong.
"""
from __future__ import annotations

import re

LIMIT = 998  # octets in a line, CRLF not counted (RFC 5322, 2.1.1)
_RAW_OPEN = re.compile(r"<(script|style|pre|textarea)\b", re.I)  # kept whole: see _raw_spans
_RAW_CLOSE = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "style", "pre", "textarea")}
_TOKENS = re.compile(r"(<[^>]*>| )")
_SEVEN_BIT = bytes([0x09, 0x0A, *range(0x20, 0x7F)])  # tab, line feed and printable ASCII


def seven_bit_html(html: str, limit: int = LIMIT) -> str | None:
    """The same HTML as ASCII with no line over `limit` characters, or None when it cannot be made so.

    Only lines that are too long are taken apart; the rest is done by C code (str methods, regular
    expressions), about a millisecond for a 400 KB page."""
    text = html
    if not html.isascii():
        if not all(html[a:b].isascii() for a, b in _raw_spans(html)):
            return None  # a character reference would not be read back inside a script or style
        text = html.encode("ascii", "xmlcharrefreplace").decode("ascii")
    if text.encode("ascii").translate(None, _SEVEN_BIT):  # what is left is a control character
        return None
    lines = text.split("\n")
    if max(map(len, lines)) <= limit:
        return text
    raw = _raw_spans(text)
    out, pos = [], 0
    for line in lines:
        start, pos = pos, pos + len(line) + 1
        if len(line) > limit:
            if any(a < pos and b > start for a, b in raw):
                return None  # a long line of script or style: not ours to break
            line = _wrap(line, limit)
            if line is None:
                return None
        out.append(line)
    return "\n".join(out)


def _raw_spans(html: str) -> list[tuple[int, int]]:
    """Where scripts, styles, `pre` and `textarea` are (one left open runs to the end)."""
    spans, pos = [], 0
    while m := _RAW_OPEN.search(html, pos):
        end = _RAW_CLOSE[m.group(1).lower()].search(html, m.end())
        pos = end.end() if end else len(html)
        spans.append((m.start(), pos))
    return spans


def _wrap(line: str, limit: int) -> str | None:
    """One line of HTML broken at spaces between tags so that no piece is over `limit`, or None."""
    lt, gt = line.find("<"), line.find(">")
    if (gt >= 0 and (lt < 0 or gt < lt)) or line.rfind("<") > line.rfind(">"):
        return None  # the line starts or ends inside a tag: its spaces may be an attribute's
    out: list[str] = []
    col = 0  # characters since the last line break
    space = -1  # index in `out` of the last space a line may break at
    after = 0  # characters after that space
    for token in _TOKENS.split(line):
        if token == " ":
            out.append(" ")
            col += 1
            space, after = len(out) - 1, 0
            continue
        if col + len(token) > limit and space >= 0:  # break at the last space of text
            out[space] = "\n"
            col, space = after, -1
        out.append(token)
        col += len(token)
        after += len(token)
    text = "".join(out)
    return text if max(map(len, text.split("\n"))) <= limit else None


def seven_bit_text(data: bytes, limit: int = LIMIT) -> str | None:
    """Text (a CSV) as it can go unencoded: ASCII, no control character but tab and line ends, and no
    line over `limit`; or None, and the email package encodes it."""
    if data.translate(None, _SEVEN_BIT + b"\r") or max(map(len, data.replace(b"\r\n", b"\n").split(b"\n"))) > limit:
        return None
    return data.decode("ascii")
