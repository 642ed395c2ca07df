"""The program-site crawler: relevant pages only, same site, depth and page caps, robots obeyed."""
from pipelines.assets import ingest_steps
from scrapers import archive
from scrapers.crawl import crawl_sites, relevant_links
from scrapers.fetch import FetchConfig, Fetcher


def fetcher():
    return Fetcher(FetchConfig(min_interval_s=0, allow_private=("127.0.0.1",), workers=4))


def test_relevant_links_stay_on_site():
    html = """<a href="/sites/1/how-to-apply.html">How to Apply</a><a href="/sites/1/p/7">Current Residents</a>
              <a href="/sites/1/wellness">Wellness</a><a href="http://other.example/apply">Apply elsewhere</a>
              <a href="/sites/2/faq">FAQ of another program</a><a href="mailto:x@y">Contact</a>"""
    links = relevant_links(html, "http://h/sites/1/", "http://h/sites/1/")
    assert links == ["http://h/sites/1/how-to-apply.html", "http://h/sites/1/p/7"]


def test_crawl_finds_every_relevant_page_and_obeys_robots(sample_server, small_web, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    ingest_steps.scrape_reports(con, fetcher(), sample_server.url, run_id="r1")
    ingest_steps.scrape_listings(con, fetcher(), sample_server.url, run_id="r1")
    counts = ingest_steps.crawl_program_sites(con, fetcher())
    stored = {r[0] for r in con.execute("select url from raw.pages where source = 'program_site' and content_hash is not null").fetchall()}
    expected = {sample_server.url + pg.path for p in small_web.programs for pg in p.pages}
    assert expected <= stored
    assert not any("/internal/" in path for _, path in sample_server.requests)
    assert not any(path.endswith(("/wellness", "/curriculum")) for _, path in sample_server.requests)
    # unchanged pages cost a 304 and are not parsed twice
    ingest_steps.extract_pending(con)
    again = ingest_steps.crawl_program_sites(con, fetcher())
    assert again["new_or_changed"] == 0 and again["unchanged"] == counts["pages_fetched"]
    assert ingest_steps.extract_pending(con)["pages_parsed"] == 0


def test_depth_and_page_caps(sample_server, small_web):
    prog = next(p for p in small_web.programs if len(p.pages) >= 4)
    roots = {prog.program_id: sample_server.url + prog.website_root}
    only_root = crawl_sites(fetcher(), roots, max_depth=0)
    assert [p.depth for p in only_root] == [0]
    capped = crawl_sites(fetcher(), roots, max_pages=2)
    assert len(capped) == 2
