"""Output encoding by context, for text that came from the web or a profile.

HTML text and attributes are Jinja's autoescape. What autoescape does not cover is here:
- a link's URL: http(s) only (`scrapers.urls.http_url`), checked again at rendering; anything else
  is shown as text, never as a link;
- data inside `<script type="application/json">`: `<`, `>` and `&` written as JSON escapes, so a
  program name holding `</script>` or `<!--<script>` cannot end or derail the block (U+2028 and
  U+2029 are escaped by `ensure_ascii`);
- a `mailto:` link: the address must be one plain ASCII address, percent-encoded, so it cannot add
  cc, bcc, body fields or a line break.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import quote

from scrapers.urls import http_url  # noqa: F401  (the one allow-list, re-exported for templates' callers)

_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
# RFC 5321 dot-atom local part and a host name of labels: what every mail path can carry
_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                      r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")


def script_json(value, **kwargs) -> str:
    """JSON safe to place between <script type="application/json"> tags."""
    return json.dumps(value, ensure_ascii=True, **kwargs).translate(_SCRIPT_UNSAFE)


def mail_address(value) -> str | None:
    """The address when it is one plain ASCII address (no display name, no list, no header break)."""
    text = (value or "").strip()
    return text if len(text) <= 254 and _ADDRESS.fullmatch(text) else None


def mailto(address, subject: str, body: str) -> str | None:
    """A mailto: URL whose every part is percent-encoded; None when the address is not plain."""
    plain = mail_address(address)
    if plain is None:
        return None
    return f"mailto:{quote(plain, safe='@')}?subject={_quoted(subject)}&body={_quoted(body)}"


@lru_cache(maxsize=1 << 14)  # a list's question mails share a few bodies: urllib's quote is ~15 us a body
def _quoted(text: str) -> str:
    return quote(text, safe="")
