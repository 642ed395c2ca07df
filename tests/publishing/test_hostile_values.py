"""Hostile program content through the page, the HTML and text email and the CSV, in a real browser.

A program's ACGME listing and website are text anyone can write. Each value below is one a hostile
page could carry; none may run script, add a mail header field, break the page's data, or turn into
a spreadsheet formula. The marker `PWNED` is set by every payload that runs: it must never appear.
"""
import csv
import email
import email.policy
import io
from urllib.parse import parse_qs, urlsplit

import pytest

from pipelines.publishing import messages as publishing
from pipelines.publishing.messages import write_reports
from pipelines.ingest import archive
from tests.publishing.test_applicant_page import _driver
from tests.scoring import mini_marts

RUN = "document.title='PWNED';window.PWNED=1"
# (what it attacks, the program's fields)
HOSTILE = [
    ("script link in the website", {"website": f" JaVaScRiPt:{RUN}"}),
    ("tab inside the scheme", {"website": f"java\tscript:{RUN}"}),
    ("data URL website", {"website": f"data:text/html,<script>{RUN}</script>"}),
    ("comment then script in the name", {"program_name": f"Evil <!--<script>{RUN}</script> Program (SAMPLE)"}),
    ("script end in the name", {"program_name": f"</script><script>{RUN}</script> Program (SAMPLE)"}),
    ("line and paragraph separators in the name", {"program_name": "Sep\u2028ar\u2029ated Program (SAMPLE)"}),
    ("formula in the name", {"program_name": '=HYPERLINK("https://evil.example","click") (SAMPLE)'}),
    ("cc and bcc in the address", {"program_email": "coord@example.org?cc=boss@evil.example&bcc=spy@evil.example"}),
    ("encoded line break in the address", {"program_email": "coord@example.org%0D%0ABcc:spy@evil.example"}),
    ("raw line break in the address", {"program_email": "coord@example.org\r\nBcc: spy@evil.example"}),
    ("markup in the evidence sentence", {"sponsors_j1": True, "sponsors_j1_evidence": f"<img src=x onerror=\"{RUN}\"> We sponsor the J-1."}),
    ("script URL as the evidence page", {"sponsors_h1b": True, "sponsors_h1b_source_url": f"javascript:{RUN}"}),
]


def _programs():
    out = []
    for i, (_, fields) in enumerate(HOSTILE):
        # sponsors_j1 unknown: every program is "ask first" for a J-1 applicant, so each carries its mailto link
        p = {"state": "NY", "accepts_imgs": True, "sponsors_j1": None, "program_name": f"Plain Program {i:02d} (SAMPLE)"}
        p.update(fields)
        out.append(p)
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    con = archive.connect(tmp / "w.duckdb")
    mini_marts.build(con, _programs())
    aid = mini_marts.listed(tmp, con, applicant_id="hostile-a", visa_need="j1", step2ck_score=240)
    assert write_reports(con, tmp / "out", [aid]) == 1
    ctx = publishing.list_context(con, aid, 1)
    msg = publishing.build_message(ctx, None, "SmartPick <lists@smartpick.invalid>", "optout@smartpick.invalid", "<m@smartpick.invalid>")
    received = email.message_from_bytes(publishing.flatten(msg), policy=email.policy.default)
    html = received.get_body(("html",)).get_content()
    mail_html = tmp / "email.html"
    mail_html.write_text(html)
    yield {"page": tmp / "out" / "reports" / aid / "list-v1.html", "email_html": mail_html, "received": received,
           "text": received.get_body(("plain",)).get_content(), "csv": publishing.list_csv(ctx).decode(), "n": len(HOSTILE)}
    con.close()


@pytest.fixture(scope="module")
def browser():
    d = _driver()
    yield d
    d.quit()


def _links(browser) -> list[str]:
    return browser.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")


def _assert_no_script_ran(browser):
    from selenium.common.exceptions import NoAlertPresentException

    assert browser.title != "PWNED" and not browser.execute_script("return window.PWNED === 1")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018


def _assert_links_are_safe(hrefs):
    for href in hrefs:
        scheme = urlsplit(href.strip()).scheme.lower()
        assert href.startswith("#") or scheme in ("http", "https", "mailto", "cid"), href
        if scheme == "mailto":
            parts = urlsplit(href)
            assert "@" in parts.path and "%0d" not in href.lower() and "\n" not in href and "\r" not in href, href
            assert set(parse_qs(parts.query)) <= {"subject", "body"}, href  # no cc, bcc or other field
            assert all(c not in parts.path for c in "?&%,") or "%40" in parts.path, href


def test_the_page_runs_no_hostile_value_and_its_own_script_still_works(hostile, browser):
    browser.get(hostile["page"].as_uri())
    _assert_no_script_ran(browser)
    assert "js" in browser.execute_script("return document.documentElement.className")  # the page's own script ran
    n = hostile["n"]
    assert browser.find_element("id", "count").text == f"Showing {n} of {n} programs"
    data = browser.execute_script("return JSON.parse(document.getElementById('data').textContent)")
    assert len(data["r"]) == n and all(len(r) == len(data["k"]) for r in data["r"])
    # the names the script reads from the rows (for sorting and the CSV) are the hostile text, verbatim
    names = browser.execute_script("return Array.from(document.querySelectorAll('#list tbody summary')).map(s => s.textContent)")
    assert any("<!--<script>" in nm for nm in names) and any("\u2028" in nm for nm in names)
    _assert_links_are_safe(_links(browser))
    for summary in browser.find_elements("css selector", "#list tbody tr summary"):
        summary.click()  # every detail panel opened: the evidence markup stays text
    _assert_no_script_ran(browser)
    assert "We sponsor the J-1." in browser.find_element("tag name", "body").text
    assert "website given as" in browser.find_element("tag name", "body").text  # shown as text, never linked


def test_the_page_allows_only_its_own_script(hostile, browser, tmp_path):
    page = hostile["page"].read_text()
    assert "'unsafe-inline'" not in page.split("script-src", 1)[1].split('"', 1)[0]
    injected = tmp_path / "injected.html"
    injected.write_text(page.replace("</body>", f"<script>{RUN}</script><button onclick=\"{RUN}\" id=evil>x</button></body>"))
    browser.get(injected.as_uri())
    browser.find_element("id", "evil").click()
    _assert_no_script_ran(browser)  # the Content-Security-Policy blocks what the page does not hash
    assert browser.find_element("id", "count").text.startswith("Showing")


def test_the_html_email_runs_nothing_and_links_only_the_web(hostile, browser):
    browser.get(hostile["email_html"].as_uri())
    _assert_no_script_ran(browser)
    hrefs = _links(browser)
    assert any(h.startswith("mailto:") for h in hrefs)
    _assert_links_are_safe(hrefs)


def test_the_message_headers_and_text_carry_no_injected_field(hostile):
    received = hostile["received"]
    assert received["Bcc"] is None and received["Cc"] is None
    assert "spy@evil.example" not in str(received["To"])
    assert "Plain Program 00" in hostile["text"]  # the text part was built and lists the programs


def test_the_csv_has_no_formula_and_one_line_per_program(hostile):
    rows = list(csv.reader(io.StringIO(hostile["csv"])))
    assert len(rows) == 1 + hostile["n"]
    for row in rows[1:]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@"), cell
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
