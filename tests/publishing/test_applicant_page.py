"""The applicant's page in a real browser: Debian's chromium, headless, driven through chromium-driver.

The page is opened from disk as an applicant opens the attachment; filters are checked against the
warehouse, a detail panel against the evidence stored, and the page must make no network request.
"""
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from pipelines.publishing.messages import write_reports
from pipelines.ingest import archive
from tests.scoring import mini_marts

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "outputs" / "test-artifacts"
STATES = ["TX", "TX", "NY", "NY", "NY", "OH", "OH", "FL", "FL", "CA", "CA", "IL"]


def _programs():
    out = []
    for i, state in enumerate(STATES):
        p = {"state": state, "accepts_imgs": True if i % 3 else None, "sponsors_j1": i % 4 != 1,
             "step2ck_min": 230 if i % 5 == 0 else None, "max_attempts": 2 if i % 2 else None,
             "usce_required": False, "residents_img": 6 + i, "residents_us_ca": 10, "img_friendliness_index": 40 + 3 * i,
             "index_known_weight": 60, "program_name": f"Browser Test Program {i:02d} (SAMPLE)"}
        if i == 3:
            p["sponsors_j1_evidence"] = "Our program welcomes physicians on J-1 exchange visitor visas (sample wording)."
        out.append(p)
    return out


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("page")
    con = archive.connect(tmp / "w.duckdb")
    mini_marts.build(con, _programs())
    con.execute("update marts.dim_programs set census_region = case state when 'NY' then 'Northeast' when 'CA' then 'West' "
                "when 'OH' then 'Midwest' when 'IL' then 'Midwest' else 'South' end")
    aid = mini_marts.listed(tmp, con, applicant_id="browser-a", visa_need="j1", step2ck_score=226)
    assert write_reports(con, tmp / "out", [aid]) == 1
    yield {"con": con, "aid": aid, "path": tmp / "out" / "reports" / aid / "list-v1.html", "tmp": tmp}
    con.close()


def _driver(width=1280, height=1000, scripts=True, downloads=None):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        if os.environ.get("SMARTPICK_CI"):
            pytest.fail("chromium and chromium-driver are required in CI (.ci/run installs them)")
        pytest.skip("the browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    opts = Options()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                f"--window-size={width},{height}"):
        opts.add_argument(arg)
    if not scripts:
        opts.add_argument("--blink-settings=scriptEnabled=false")
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    d = webdriver.Chrome(service=Service(driver), options=opts)
    if downloads:
        d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return d


@pytest.fixture(scope="module")
def browser():
    d = _driver()
    yield d
    d.quit()


def _count(d):
    return d.find_element("id", "count").text


def _visible_rows(d):
    return d.execute_script("return Array.from(document.querySelectorAll('#list tbody tr')).filter(r => !r.hidden).length")


def _warehouse(page, where="true", params=()):
    return page["con"].execute(f"select count(*) from app.ranked_lists where applicant_id = ? and list_version = 1 and {where}",
                               [page["aid"], *params]).fetchone()[0]


def test_filters_show_what_the_warehouse_holds_and_the_view_lives_in_the_url(page, browser):
    from selenium.webdriver.support.ui import Select

    browser.get(page["path"].as_uri())
    total = _warehouse(page)
    assert total == len(STATES) and _count(browser) == f"Showing {total} of {total} programs"
    for box in ("f-oc-listed", "f-oc-open_with_step3", "f-oc-ask_first"):
        browser.find_element("id", box).click()
    excluded = _warehouse(page, "status = 'excluded'")
    assert 0 < excluded < total
    assert _count(browser) == f"Showing {excluded} of {total} programs" and _visible_rows(browser) == excluded
    assert "oc=excluded" in browser.current_url
    browser.find_element("id", "reset").click()
    Select(browser.find_element("id", "f-st")).select_by_visible_text("NY")
    ny = _warehouse(page, "state = 'NY'")
    assert _count(browser) == f"Showing {ny} of {total} programs" and _visible_rows(browser) == ny == 3
    Select(browser.find_element("id", "f-vi")).select_by_value("open")
    open_ny = _warehouse(page, "state = 'NY' and status <> 'excluded' and not list_contains(asks, 'sponsors_j1')")
    assert _count(browser) == f"Showing {open_ny} of {total} programs"
    bookmarked = browser.current_url
    assert "st=NY" in bookmarked and "vi=open" in bookmarked
    browser.get("about:blank")
    browser.get(bookmarked)  # a bookmarked view opens as it was left
    assert _count(browser) == f"Showing {open_ny} of {total} programs"
    assert Select(browser.find_element("id", "f-st")).first_selected_option.text == "NY"


def test_sorting_by_signals_follows_the_fit_order(page, browser):
    browser.get(page["path"].as_uri())
    browser.find_element("css selector", "th[data-key=fo] button").click()
    shown = browser.execute_script("""var p = JSON.parse(document.getElementById('data').textContent), fo = p.k.indexOf('fo');
        return Array.from(document.querySelectorAll('#list tbody tr')).filter(r => !r.hidden)
        .map(r => p.r[Number(r.getAttribute('data-i'))][fo]).filter(v => v !== null)""")
    assert len(shown) > 1 and shown == sorted(shown, reverse=True)
    assert browser.find_element("css selector", "th[data-key=fo]").get_attribute("aria-sort") == "descending"
    # no program row shows a percentage
    cells = browser.execute_script("return Array.from(document.querySelectorAll('#list tbody td')).map(c => c.textContent)")
    assert not [c for c in cells if "%" in c]


def test_a_detail_panel_quotes_the_stored_sentence_and_links_its_page(page, browser):
    browser.get(page["path"].as_uri())
    pid, sentence, url = page["con"].execute(
        "select program_id, sponsors_j1_evidence, sponsors_j1_source_url from marts.dim_programs where program_name like '%Program 03%'").fetchone()
    row = browser.find_element("id", f"p-{pid}")
    row.find_element("tag name", "summary").click()
    from selenium.webdriver.support.ui import WebDriverWait

    # the panel names its facts by label; opening it, the script finds each fact from the questions below
    fact = WebDriverWait(browser, 5).until(lambda b: row.find_element("css selector", "dd[data-fact=sponsors_j1]"))
    assert fact.is_displayed()
    assert fact.find_element("xpath", "preceding-sibling::dt[1]").text == "J-1 visa"
    assert fact.find_element("tag name", "q").text == sentence
    assert fact.find_element("tag name", "a").get_attribute("href") == url
    # a fact no page states is named in the panel's "not stated" line and links to the question to send,
    # written once on the page
    silent = row.find_element("css selector", "dd.ns span[data-fact=accepts_imgs]")
    assert silent.find_element("xpath", "parent::dd/preceding-sibling::dt[1]").text == "Not stated on its pages"
    unknown = silent.find_element("tag name", "a")
    assert unknown.text == "ask" and silent.text.startswith("international medical graduates")
    unknown.click()
    question = browser.find_element("css selector", "#ask-accepts_imgs + dd.question")
    from scrapers.facts.catalogue import BY_NAME
    assert question.text == BY_NAME["accepts_imgs"].question


def test_the_page_makes_no_network_request_and_a_screenshot_is_kept(page):
    d = _driver()
    try:
        d.get(page["path"].as_uri())
        d.find_element("css selector", "#list tbody tr summary").click()
        time.sleep(0.3)
        urls = [json.loads(e["message"])["message"]["params"].get("request", {}).get("url", "")
                for e in d.get_log("performance") if '"Network.requestWillBeSent"' in e["message"]]
        assert urls and all(u.startswith(("file:", "data:", "blob:")) for u in urls), urls
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        assert d.save_screenshot(str(ARTEFACTS / "applicant-page.png"))
    finally:
        d.quit()


def _downloaded_csv(page, folder: str, *clicks: str) -> str:
    """The page's "Download these rows" file after clicking the given controls (by id)."""
    downloads = page["tmp"] / folder
    downloads.mkdir()
    d = _driver(downloads=downloads)
    try:
        d.get(page["path"].as_uri())
        for control in clicks + ("csv",):
            d.find_element("id", control).click()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not list(downloads.glob("*.csv")):
            time.sleep(0.2)
        return next(downloads.glob("*.csv")).read_text()
    finally:
        d.quit()


def test_the_csv_download_holds_the_rows_shown(page):
    lines = _downloaded_csv(page, "downloads", "f-oc-excluded").strip().splitlines()
    assert len(lines) - 1 == _warehouse(page, "status <> 'excluded'")
    assert lines[0].startswith("specialty,program_id,program_name")


def test_without_javascript_it_is_a_plain_table_with_every_program(page):
    d = _driver(scripts=False)
    try:
        d.get(page["path"].as_uri())
        rows = d.find_elements("css selector", "#list tbody tr")
        assert len(rows) == _warehouse(page) and all(r.is_displayed() for r in rows)
        assert not d.find_element("css selector", "form.filters").is_displayed()  # controls that need the script are hidden
        rows[0].find_element("tag name", "summary").click()  # details open without a script
        assert rows[0].find_element("css selector", ".panel dd").is_displayed()
    finally:
        d.quit()


def test_it_reads_on_a_390_px_phone_without_sideways_scrolling(page):
    d = _driver(width=390, height=844)
    try:
        d.get(page["path"].as_uri())
        width = d.execute_script("return document.documentElement.clientWidth")
        assert d.execute_script("return document.documentElement.scrollWidth") <= width
        state = d.find_element("css selector", "#list tbody tr td:nth-child(3)")
        assert state.is_displayed()
        # the column headings are off screen: each cell names itself
        assert d.execute_script("return getComputedStyle(arguments[0], '::before').content", state) == '"State: "'
        # the first program shows in the first screen: the filters fold behind one button
        top = d.execute_script("return document.querySelector('#list tbody tr').getBoundingClientRect().top")
        assert top < d.execute_script("return window.innerHeight"), top
        assert not d.find_element("id", "f-sp").is_displayed()
        d.find_element("css selector", "#filterbox summary").click()
        assert d.find_element("id", "f-sp").is_displayed()
        # the table's caption spans the screen instead of collapsing to a narrow column
        caption = d.find_element("css selector", "#list caption")
        assert caption.size["width"] > 300

    finally:
        d.quit()


def test_it_prints_the_list_without_the_controls(page, browser):
    import base64
    import io

    from pypdf import PdfReader

    browser.get(page["path"].as_uri())
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})["data"])  # A4
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    names = [r[0] for r in page["con"].execute("select program_name from app.ranked_lists where applicant_id = ?", [page["aid"]]).fetchall()]
    assert all(n in text.replace("\n", " ") for n in names)
    assert "Download these rows" not in text and "Show all" not in text


def test_the_keyboard_opens_a_program_and_every_control_has_a_label(page, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(page["path"].as_uri())
    summary = browser.find_element("css selector", "#list tbody tr summary")
    summary.send_keys(Keys.ENTER)  # a native disclosure button: focusable and opened with Enter
    assert summary.find_element("xpath", "..").get_attribute("open") is not None
    unlabelled = browser.execute_script("""return Array.from(document.querySelectorAll('select, input, button'))
        .filter(c => !(c.labels && c.labels.length) && !c.textContent.trim() && !c.getAttribute('aria-label')).length""")
    assert unlabelled == 0


def test_report_a_mistake_prefills_the_program_the_fact_the_value_and_the_list_version(page, browser):
    from urllib.parse import parse_qs, unquote, urlsplit

    browser.get(page["path"].as_uri())
    row = browser.find_element("css selector", "#list tbody tr")
    row.find_element("tag name", "summary").click()  # opening the panel gives each fact its link
    from selenium.webdriver.support.ui import WebDriverWait

    link = WebDriverWait(browser, 5).until(lambda b: row.find_element("css selector", "dd[data-fact=sponsors_j1] a.rep"))
    assert link.get_attribute("href").endswith("#report")  # without the script: the address and what to name, below
    browser.execute_script("arguments[0].addEventListener('click', e => e.preventDefault()); arguments[0].click()", link)
    href = link.get_attribute("href")
    assert href.startswith("mailto:ops@smartpick.invalid?")
    query = parse_qs(urlsplit(href).query)
    pid = row.get_attribute("id").removeprefix("p-")
    assert unquote(query["subject"][0]) == f"SmartPick fact report: {pid} sponsors_j1 (list v1)"
    assert "J-1 visa: " in query["body"][0] and "report a mistake" not in query["body"][0]
    assert "browser-a" not in href and "@example.org" not in href  # nothing about the applicant


def test_report_a_mistake_on_a_fact_the_page_is_silent_on_names_it_as_not_stated(page, browser):
    from urllib.parse import parse_qs, unquote, urlsplit

    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page["path"].as_uri())
    row = browser.find_element("xpath", "//tbody/tr[.//dd[@class='ns']/span[starts-with(., 'international medical graduates')]]")
    row.find_element("tag name", "summary").click()
    link = WebDriverWait(browser, 5).until(lambda b: row.find_element("css selector", "dd.ns span[data-fact=accepts_imgs] a.rep"))
    browser.execute_script("arguments[0].addEventListener('click', e => e.preventDefault()); arguments[0].click()", link)
    query = parse_qs(urlsplit(link.get_attribute("href")).query)
    pid = row.get_attribute("id").removeprefix("p-")
    assert unquote(query["subject"][0]) == f"SmartPick fact report: {pid} accepts_imgs (list v1)"
    assert "international medical graduates: not stated" in query["body"][0]


def test_with_two_specialties_the_first_program_still_shows_in_a_phone_s_first_screen(tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    family = {**mini_marts.SPECIALTY, "specialty_code": "120", "specialty_name": "Family Medicine"}
    programs = [{"sponsors_j1": True, "state": "TX", "specialty_code": code, "specialty_name": name,
                 "program_name": f"Phone Program {i} {name} (SAMPLE)"}
                for i, (code, name) in enumerate([("140", "Internal Medicine"), ("120", "Family Medicine")] * 3)]
    mini_marts.build(con, programs, [mini_marts.SPECIALTY, family])
    aid = mini_marts.listed(tmp_path, con, applicant_id="phone-a", visa_need="j1", step2ck_score=231, graduation_year=2015,
                            step2ck_attempts=2, target_specialties=["Internal Medicine", "Family Medicine"])
    assert write_reports(con, tmp_path / "out", [aid]) == 1
    d = _driver(width=390, height=844)
    try:
        d.get((tmp_path / "out" / "reports" / aid / "list-v1.html").as_uri())
        assert len(d.find_elements("css selector", "section.spec")) == 2
        top = d.execute_script("return document.querySelector('#list tbody tr').getBoundingClientRect().top")
        assert top < d.execute_script("return window.innerHeight"), top
        # what the figure does not reflect is one tap away, not gone
        fold = d.find_element("css selector", "section.spec details.fold")
        assert "does not reflect" in fold.find_element("tag name", "summary").text
        fold.find_element("tag name", "summary").click()
        assert "state a graduation cutoff" in fold.text
    finally:
        d.quit()


def test_the_view_csv_of_every_row_agrees_with_the_list_csv(page):
    """The page keeps only filter keys in its data; names, places, "because" lines and excluding rules
    come from the rows themselves, and must come out as the list's own CSV has them."""
    import csv as csvlib
    import io

    view = list(csvlib.DictReader(io.StringIO(_downloaded_csv(page, "downloads-all"))))
    listed = {r["program_id"]: r for r in csvlib.DictReader(io.StringIO(page["path"].with_suffix(".csv").read_text()))}
    assert len(view) == len(listed) and any(r["excluded_because"] for r in view)
    for r in view:
        own = listed[r["program_id"]]
        assert (r["program_name"], r["state"], r["because"], r["excluded_because"]) == \
            (own["program_name"], own["state"], own["because"], own["excluded_because"])
        assert r["city"] and r["facts_not_stated"].isdigit()


def test_the_open_questions_link_writes_the_message_the_email_has(page, browser):
    from urllib.parse import parse_qs, urlsplit

    from pipelines.publishing import wording

    browser.get(page["path"].as_uri())
    link = browser.find_element("css selector", "a.askm")
    row = link.find_element("xpath", "./ancestor::tr")
    browser.execute_script("arguments[0].addEventListener('click', e => e.preventDefault()); arguments[0].click()", link)
    pid = row.get_attribute("id").removeprefix("p-")
    name, email, asks = page["con"].execute(
        "select program_name, program_email, asks from app.ranked_lists where applicant_id = ? and program_id = ?",
        [page["aid"], pid]).fetchone()
    expected = wording.mailto(email, name, list(asks), True)
    got, want = urlsplit(link.get_attribute("href")), urlsplit(expected)
    assert got.path == want.path and parse_qs(got.query) == parse_qs(want.query)


def test_report_a_mistake_on_an_excluding_rule_names_its_fact(page, browser):
    from urllib.parse import parse_qs, unquote, urlsplit

    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page["path"].as_uri())
    row = browser.find_element("xpath", "//tr[.//span[@class='oc-excluded']][.//li[@data-fact]]")
    row.find_element("tag name", "summary").click()
    link = WebDriverWait(browser, 5).until(lambda b: row.find_element("css selector", "li[data-fact] a.rep"))
    fact = link.find_element("xpath", "./ancestor::li").get_attribute("data-fact")
    browser.execute_script("arguments[0].addEventListener('click', e => e.preventDefault()); arguments[0].click()", link)
    query = parse_qs(urlsplit(link.get_attribute("href")).query)
    assert unquote(query["subject"][0]) == f"SmartPick fact report: {row.get_attribute('id')[2:]} {fact} (list v1)"
    label = browser.find_element("id", f"ask-{fact}").text
    assert query["body"][0].split("\n")[1].startswith(f"{label}: ") and "report a mistake" not in query["body"][0]
