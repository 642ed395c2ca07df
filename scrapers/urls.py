"""The URLs SmartPick follows or renders as links: http and https only.

A program's listing and website are text anyone can write. A website given as `javascript:…`
(in any case, after spaces, with a tab inside: browsers drop those before reading the scheme) would
run script when an applicant clicks it; `data:`, `file:` and the rest are never ours to follow either.
The same test runs at ingestion (the listing keeps no such link) and again at rendering.
"""
from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_NOT_IN_A_URL = re.compile(r"[\x00-\x20\x7f\\<>\"'`]")


def http_url(value) -> str | None:
    """The URL itself when it is an absolute http(s) URL with a host, else None."""
    if not value:
        return None
    return _http_url(str(value))


@functools.lru_cache(maxsize=1 << 16)  # a list's pages name each program's few URLs many times over
def _http_url(value: str) -> str | None:
    text = value.strip()
    if _NOT_IN_A_URL.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in _ALLOWED_SCHEMES or not host:
        return None
    return text


CASES = [
    ("https://example.org/residency/", "https://example.org/residency/"),
    ("  http://example.org/a?b=1#c ", "http://example.org/a?b=1#c"),
    ("javascript:alert(1)", None),
    (" JaVaScRiPt:alert(document.cookie)", None),
    ("java\tscript:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("vbscript:msgbox(1)", None),
    ("//example.org/no-scheme", None),
    ("https:///no-host", None),
    ("https://example.org/\"onmouseover=alert(1)", None),
    ("mailto:someone@example.org", None),
    ("file:///etc/passwd", None),
    ("", None),
    (None, None),
]
