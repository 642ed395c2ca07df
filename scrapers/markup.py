"""lxml helpers shared by the link finder and the ACGME parsers (lxml parses ~8x faster than
BeautifulSoup over the same lxml parser; tests/scrapers/test_markup_parity.py holds the two equal)."""
from __future__ import annotations

import lxml.html
from lxml import etree


def parse(html: str | bytes):
    """The document root, or None for markup lxml cannot read (empty, or only a declaration)."""
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        try:  # a str with an XML encoding declaration: lxml wants bytes for those
            return lxml.html.document_fromstring(html.encode("utf-8")) if isinstance(html, str) else None
        except (etree.ParserError, ValueError):
            return None


def text(el, sep: str = "") -> str:
    """The element's text nodes, each stripped, empty ones dropped, joined by `sep` (comments and
    the contents of script and style are not text)."""
    parts = (t.strip() for t in el.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]"))
    return sep.join(t for t in parts if t)
