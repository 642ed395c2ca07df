"""lxml helpers shared by the document model, the link finder and the ACGME parsers (lxml parses ~8x
faster than BeautifulSoup over the same lxml parser; tests/scrapers/test_markup_parity.py holds the
two equal)."""
from __future__ import annotations

import re

from lxml import etree

# The plain HTML parser: lxml.html's calls a Python class lookup for every element touched (a tenth
# of building a document), for methods none of these readers use.
_PARSER = etree.HTMLParser()
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# All the text under an element, comments excluded: lxml.html's text_content(), which plain elements lack
text_content = etree.XPath("string()")


def parse(html: str | bytes):
    """The document root, or None for markup lxml cannot read (empty, or only a declaration)."""
    try:
        return etree.fromstring(html, _PARSER)  # None for an empty document
    except (etree.ParserError, ValueError):
        # XHTML pages open with <?xml ... encoding="..."?>, which lxml refuses in an already decoded
        # str; the text is decoded, so the declaration has nothing left to say (the document model
        # returned no text at all for these pages: tests/scrapers/test_extract.py)
        if isinstance(html, str) and _XML_DECLARATION.match(html):
            try:
                return etree.fromstring(_XML_DECLARATION.sub("", html, count=1), _PARSER)
            except (etree.ParserError, ValueError):
                return None
        return None


def text(el, sep: str = "") -> str:
    """The element's text nodes, each stripped, empty ones dropped, joined by `sep` (comments and
    the contents of script and style are not text)."""
    parts = (t.strip() for t in el.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]"))
    return sep.join(t for t in parts if t)
