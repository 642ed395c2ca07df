"""The ACGME scraper against the sample web, which mirrors the real site's form, gate and reports."""
import pytest

from pipelines.ingest import steps as ingest_steps
from pipelines.ingest import archive
from scrapers.acgme import AcgmeBlocked, AcgmeScraper, LayoutChanged, parse_program_detail, parse_results
from scrapers.fetch import FetchConfig, Fetcher


def fetcher():
    return Fetcher(FetchConfig(min_interval_s=0, allow_private=("127.0.0.1",), workers=4))


def night(con, url, run_id, **rolling):
    """One night's ACGME refresh as the job does it: the reports (the census), then the detail pages due."""
    ingest_steps.scrape_reports(con, fetcher(), url, run_id=run_id)
    return ingest_steps.scrape_listings(con, fetcher(), url, run_id=run_id, **rolling)


def test_listings_match_the_sample_programs(sample_server, small_web, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    counts = night(con, sample_server.url, "r1")
    assert counts["listings_parsed"] == small_web.size
    rows = {r[0]: r for r in con.execute(
        "select program_id, program_name, state, approved_positions, website, sponsor_code, specialty_code "
        "from raw.acgme_listings").fetchall()}
    for prog in small_web.programs:
        pid, name, state, approved, website, sponsor, code = rows[prog.program_id]
        assert (name, state, approved, sponsor, code) == (prog.name, prog.state, prog.approved_positions,
                                                          prog.sponsor_code, prog.specialty_code)
        assert (website is None) == (prog.website_root is None)
    # a second refresh costs 304s and re-parses nothing
    again = night(con, sample_server.url, "r2")
    assert again["listings_parsed"] == 0 and again["listings_unchanged"] == small_web.size


def test_search_reads_form_numbers_and_paginates(sample_server, small_web):
    scraper = AcgmeScraper(fetcher(), sample_server.url)
    form, _ = scraper.search_form()
    assert form.specialties["Internal Medicine"] == str(small_web.specialty_form_ids["140"])
    rows, results = scraper.search(form, "Internal Medicine")
    expected = [p.program_id for p in small_web.programs if p.specialty_code == "140"]
    assert sorted(r["program_id"] for r in rows) == sorted(expected)
    assert len(results) == (len(expected) + 24) // 25


def test_detail_without_search_session_is_gated(sample_server, small_web):
    prog = small_web.programs[0]
    res = fetcher().fetch(f"{sample_server.url}/ads/Public/Programs/Detail?orgCode={prog.program_id}")
    with pytest.raises(LayoutChanged, match="return to the search page"):
        parse_program_detail(res.text, res.requested_url)


def test_captcha_stops_the_run_without_retrying(sample_server):
    sample_server.captcha = True
    before = len(sample_server.requests)
    with pytest.raises(AcgmeBlocked, match="do not retry"):
        AcgmeScraper(fetcher(), sample_server.url).search_form()
    assert len(sample_server.requests) - before == 2  # robots.txt and one search page, nothing more


def test_changed_layout_fails_loudly():
    with pytest.raises(LayoutChanged):
        parse_results("<html><body><table id='other'></table></body></html>", "http://x/")
    with pytest.raises(LayoutChanged):
        parse_program_detail("<html><body><h1>Welcome</h1></body></html>", "http://x/d")


def test_pdf_reports_list_every_program(sample_server, small_web, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    counts = ingest_steps.scrape_reports(con, fetcher(), sample_server.url)
    assert counts["report_rows"] == small_web.size
    prog = small_web.programs[5]
    row = con.execute("select program_name, state, director_name from raw.acgme_report_rows where program_id = ?",
                      [prog.program_id]).fetchone()
    assert row == (prog.name, prog.state, prog.director)
    again = ingest_steps.scrape_reports(con, fetcher(), sample_server.url)  # unchanged PDFs answer 304
    assert (again["report_rows"], again["reports_failed"]) == (0, 0)
    assert again["reports_unchanged"] == len(small_web.specialty_form_ids)
