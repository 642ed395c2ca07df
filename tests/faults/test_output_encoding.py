"""Output encoding by context: the URL allow-list, script-safe JSON and mailto links (unit level; the
browser test in tests/publishing/test_hostile_values.py runs the same hostile values through the page)."""
import json

import pytest

from pipelines.publishing import escaping, wording
from scrapers import acgme, urls


@pytest.mark.parametrize("value,expected", urls.CASES, ids=[repr(c[0])[:40] for c in urls.CASES])
def test_only_http_and_https_urls_pass(value, expected):
    assert urls.http_url(value) == expected


@pytest.mark.parametrize("value", ["</script><script>x()</script>", "<!--<script>", "a\u2028b\u2029c", "x&amp;<b>"])
def test_script_json_cannot_end_or_derail_its_block_and_reads_back_the_same(value):
    out = escaping.script_json({"nm": value})
    assert "<" not in out and ">" not in out and "\u2028" not in out and "\u2029" not in out
    assert json.loads(out) == {"nm": value}


@pytest.mark.parametrize("address", [
    "coord@example.org?cc=boss@evil.example", "coord@example.org%0D%0ABcc:x@evil.example", "a@b.org\r\nBcc: x@evil.example",
    "Name <a@b.org>", "a@b.org, c@d.org", "éve@exämple.org", "no-at-sign", "a@localhost", "",
])
def test_a_mailto_link_is_made_only_from_one_plain_address(address):
    assert wording.mailto(address, "Program", ["sponsors_j1"], False) is None


def test_a_mailto_link_percent_encodes_every_part():
    link = wording.mailto("o'brien+im@example.org", "A & B?", ["sponsors_j1"], True)
    assert link.startswith("mailto:o%27brien%2Bim@example.org?subject=")
    assert link.count("?") == 1 and link.count("&") == 1 and "\n" not in link


@pytest.mark.parametrize("href", [" JaVaScRiPt:alert(1)", "data:text/html,x", "vbscript:x"])
def test_a_listing_keeps_no_website_that_is_not_http(href):
    from dataclasses import replace

    from sample_web import render
    from sample_web.generate import SampleWeb

    prog = SampleWeb(3).programs[0]
    good = acgme.parse_program_detail(render.detail_page(prog), "https://apps.example.org/p/1")
    assert good.website == "https://apps.example.org" + prog.website_root  # the same page with an http(s) site keeps it
    bad = acgme.parse_program_detail(render.detail_page(replace(prog, website_root=href)), "https://apps.example.org/p/1")
    assert bad.website is None and bad.program_id == good.program_id
