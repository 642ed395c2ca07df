"""The lxml link finder and ACGME parsers give what the BeautifulSoup versions gave, page for page,
on the whole sample web and on awkward markup (tests/scrapers/bs4_reference.py is the reference)."""
from dataclasses import asdict

import pytest

from sample_web.generate import SampleWeb
from sample_web.server import SampleWebServer
from scrapers import acgme
from scrapers.acgme import AcgmeScraper
from scrapers.crawl import crawl_sites, relevant_links
from scrapers.fetch import FetchConfig, Fetcher
from tests.scrapers import bs4_reference as ref

AWKWARD = [
    "",
    "<?xml version='1.0' encoding='utf-8'?><html><body><a href='/s/apply'>Apply</a></body></html>",
    "<a href='/s/x'>Meet <b>the</b>\n   residents</a><a href=' /s/visa#top '>  </a><a>no href</a>",
    "<a href='/s/y'><!-- eligibility --> Overview</a><a href='/s/z'>International&nbsp;graduates</a>",
    "<a href='mailto:x@y.z'>apply</a><a href='/s/a.pdf'>Application</a><a href='https://other.example/apply'>apply</a>",
    "<table><tr><td><a href='/s/faq'>FAQ<span>s</span></a></td></tr></table><a href='/s/current-residents/'>x</a>",
]


@pytest.fixture(scope="module")
def web_pages():
    web = SampleWeb(size=150, seed=5)
    with SampleWebServer(web) as server:
        fetcher = Fetcher(FetchConfig(min_interval_s=0, allow_private=("127.0.0.1",), workers=4))
        roots = {p.program_id: server.url + p.website_root for p in web.programs if p.website_root}
        sites = [(roots[c.program_id], c.result) for c in crawl_sites(fetcher, roots) if c.result.ok]
        scraper = AcgmeScraper(fetcher, server.url)
        form, form_page = scraper.search_form()
        results, details = [], []
        for specialty in sorted(form.specialties):
            rows, pages = scraper.search(form, specialty)
            results += [p for p in pages if p.ok]
            details += [res for _, res in scraper.details(rows) if res.ok]
        yield form_page, results, details, sites


def test_links_match_on_every_sample_site_page_and_on_awkward_markup(web_pages):
    *_, sites = web_pages
    assert len(sites) > 300
    for root, res in sites:
        assert relevant_links(res.text, res.final_url, root) == ref.relevant_links(res.text, res.final_url, root), res.final_url
    for html in AWKWARD:
        assert relevant_links(html, "http://127.0.0.1:1/s/", "http://127.0.0.1:1/s/") == \
            ref.relevant_links(html, "http://127.0.0.1:1/s/", "http://127.0.0.1:1/s/"), html


def test_acgme_pages_parse_the_same(web_pages):
    form_page, results, details, _ = web_pages
    assert acgme.parse_search_form(form_page.text) == ref.parse_search_form(form_page.text)
    assert results and len(details) == 150
    for res in results:
        assert acgme.parse_results(res.text, res.final_url) == ref.parse_results(res.text, res.final_url)
    for res in details:
        assert asdict(acgme.parse_program_detail(res.text, res.final_url)) == \
            asdict(ref.parse_program_detail(res.text, res.final_url))


@pytest.mark.parametrize("html", [
    "<input id='IsCaptchaEnabled' value='True'>",
    "<input id='IsBrowserAutomationCheckEnabled' value='true'>",
    "<div class='x g-recaptcha'></div>",
    "<iframe src='https://h.example/captcha/1'></iframe>",
    "<input id='IsCaptchaEnabled' value='false'><div class='recaptcha-note'></div>",
])
def test_blocked_pages_are_recognised_the_same(html):
    def outcome(check):
        try:
            check(html)
            return "open"
        except acgme.AcgmeBlocked:
            return "blocked"
    assert outcome(acgme.check_not_blocked) == outcome(ref.check_not_blocked)
