"""The program-site crawler: relevant pages only, same site, depth and page caps, robots obeyed."""
import contextlib

from pipelines.ingest import steps as ingest_steps
from pipelines.ingest import archive
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


def _first_crawl(sample_server, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    ingest_steps.scrape_reports(con, fetcher(), sample_server.url, run_id="r1")
    ingest_steps.scrape_listings(con, fetcher(), sample_server.url, run_id="r1")
    first = ingest_steps.crawl_program_sites(con, fetcher(), run_id="r1")
    urls = {r[0] for r in con.execute("select url from raw.pages where source = 'program_site' and content_hash is not null").fetchall()}
    assert first["pages_fetched"] == len(urls) > 0
    return con, urls


def _upper(con):
    """Pages above the deepest level: the ones whose links a crawl follows."""
    return {r[0] for r in con.execute("select url from raw.pages where source = 'program_site' and depth < 2").fetchall()}


def test_a_page_answering_304_is_followed_through_the_links_kept_with_it(sample_server, tmp_path):
    con, urls = _first_crawl(sample_server, tmp_path)
    plan = ingest_steps.plan_crawl(con)
    assert set(plan.links) == _upper(con) and not plan.bodies  # no stored body is read, let alone parsed again
    pages = crawl_sites(fetcher(), plan.roots, known=plan.known, stored_links=plan.links.get)
    assert all(p.result.not_modified for p in pages)
    assert sorted(p.result.requested_url for p in pages) == sorted(urls)  # every page reached once, as the first crawl did


def test_pages_kept_without_links_are_parsed_once_more_and_keep_them_from_then_on(sample_server, tmp_path):
    con, urls = _first_crawl(sample_server, tmp_path)
    kept = dict(con.execute("select url, links from raw.pages where links is not null").fetchall())
    con.execute("update raw.pages set links = null")  # a warehouse written before links were kept
    plan = ingest_steps.plan_crawl(con)
    assert not plan.links and set(plan.bodies) == _upper(con)
    requests_before = len(sample_server.requests)
    again = ingest_steps.crawl_and_record(fetcher(), plan, lambda: contextlib.nullcontext(con), "r2")
    assert again["unchanged"] == len(urls) and again["pages_fetched"] == len(urls)
    assert len([1 for _, path in sample_server.requests[requests_before:] if "/sites/" in path]) == len(urls)  # no page asked twice
    assert dict(con.execute("select url, links from raw.pages where links is not null").fetchall()) == kept
    assert not ingest_steps.plan_crawl(con).bodies


def test_a_page_once_at_the_deepest_level_and_now_higher_up_is_asked_for_whole(loopback):
    """/a/b was last fetched at depth 2 (links not looked for); the root now links it directly."""
    def page(links):
        body = ("<html><body>" + "".join(f"<a href='{u}'>Apply</a>" for u in links) + "</body></html>").encode()

        def route(h, n):
            if h.headers.get("If-None-Match") == '"v"':
                return loopback.reply(h, 304, b"", headers={"ETag": '"v"'})
            loopback.reply(h, 200, body, headers={"ETag": '"v"'})
        return route
    loopback.routes.update({"/": page(["/apply/b"]), "/apply/b": page(["/apply/c"]), "/apply/c": page([])})
    root = loopback.url + "/"
    known = {loopback.url + p: {"etag": '"v"'} for p in ("/", "/apply/b", "/apply/c")}
    stored = {root: [loopback.url + "/apply/b"]}  # /apply/b has no links kept
    pages = crawl_sites(fetcher(), {"P": root}, known=known, stored_links=stored.get)
    reached = [(p.result.requested_url.removeprefix(loopback.url), p.result.status) for p in pages]
    assert ("/apply/c", 304) in reached  # followed through the links of /apply/b, read whole
    assert [s for u, s in reached if u == "/apply/b"] == [304, 200]
    assert next(p.links for p in pages if p.result.status == 200) == (loopback.url + "/apply/c",)
