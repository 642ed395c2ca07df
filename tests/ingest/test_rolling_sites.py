"""Program sites on a rolling schedule: new, moved and failing sites every night, the others oldest first,
each at least every 1 / share nights; the crawl-health check judges tonight's sites against themselves."""
import contextlib
import datetime as dt

from pipelines.ingest import steps as ingest_steps
from pipelines.ingest.health import crawl_health_verdict
from pipelines.resources import ScrapeResource
from sample_web.generate import SampleWeb
from pipelines.ingest import archive
from scrapers.rolling import plan_sites
from tests.scrapers.test_acgme import fetcher, night

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_new_moved_and_failing_sites_first_then_the_oldest_share():
    sites = {f"p{i:02d}": f"http://h/{i}/" for i in range(20)}
    crawls = {p: (w, T0 + dt.timedelta(days=i), True) for i, (p, w) in enumerate(sites.items())}
    del crawls["p07"]  # never crawled
    crawls["p11"] = ("http://old/11/", T0, True)  # its website moved
    crawls["p15"] = (sites["p15"], T0 + dt.timedelta(days=30), False)  # nothing reached last night
    plan = plan_sites(sites, crawls, share=0.25)
    assert plan.due[:3] == ["p07", "p11", "p15"]
    assert plan.due[3:] == ["p00", "p01", "p02", "p03", "p04"]  # ceil(0.25 * 20) of the oldest
    assert (plan.new, plan.retry, plan.rolling, plan.sites) == (2, 1, 5, 20)


def test_every_site_is_crawled_within_one_over_share_nights():
    sites = {f"p{i:03d}": f"http://h/{i}/" for i in range(103)}
    crawls = {p: (w, T0, True) for p, w in sites.items()}
    last = {}
    for night_no in range(1, 40):
        at = T0 + dt.timedelta(days=night_no)
        for p in plan_sites(sites, crawls, share=1 / 7).due:
            crawls[p] = (sites[p], at, True)
            if p in last:
                assert night_no - last[p] <= 7
            last[p] = night_no
    assert set(last) == set(sites)


def site_night(con, url: str, run_id: str, share: float):
    """One night's program-site step as the asset runs it, and the crawl-health verdict on it."""
    night(con, url, run_id)  # the census and the ACGME detail pages first, as the job runs them
    plan = ingest_steps.plan_crawl(con, share=share)
    counts = ingest_steps.crawl_and_record(fetcher(), plan, lambda: contextlib.nullcontext(con), run_id)
    ok, _, broken = crawl_health_verdict(con, run_id, ScrapeResource())
    crawled = {r[0] for r in con.execute("select distinct program_id from raw.fetch_log "
                                         "where run_id = ? and source = 'program_site'", [run_id]).fetchall()}
    return counts, crawled, ok, broken


def test_a_share_of_the_sites_a_night_every_site_within_four_nights_and_the_crawl_stays_healthy(
        sample_server, small_web, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    first, crawled, ok, _ = site_night(con, sample_server.url, "r1", share=0.25)
    assert ok and first["sites_new"] == len(crawled) == small_web.size
    pages = con.execute("select count(*) from raw.pages where source = 'program_site' and retired_at is null").fetchone()[0]
    seen = set()
    for n in range(2, 6):
        counts, crawled, ok, broken = site_night(con, sample_server.url, f"r{n}", share=0.25)
        # tonight's pages are far fewer than the first night's: judged against the same sites, it is healthy
        assert ok, broken
        assert counts["sites_due"] == len(crawled) == -(-small_web.size // 4) and not crawled & seen
        seen |= crawled
    assert seen == {p.program_id for p in small_web.programs}
    # a site not due tonight is not "no longer linked": its pages stay current
    assert con.execute("select count(*) from raw.pages where source = 'program_site' and retired_at is null "
                       "and missed_refreshes = 0").fetchone()[0] == pages


def test_a_moved_website_is_crawled_the_next_night(sample_server, small_web, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    site_night(con, sample_server.url, "r1", share=0.25)
    prog = small_web.programs[-1]  # the last in id order: never among the oldest share
    con.execute("update raw.acgme_listings set website = website || '?moved=1' where program_id = ?", [prog.program_id])
    ingest_steps.scrape_reports(con, fetcher(), sample_server.url, run_id="r2")
    plan = ingest_steps.plan_crawl(con, share=0.25)
    assert plan.roots and next(iter(plan.roots)) == prog.program_id and plan.schedule["sites_new"] == 1


def test_sites_that_reach_fewer_pages_than_at_their_last_crawl_fail_the_crawl_check(sample_server, small_web, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    site_night(con, sample_server.url, "r1", share=0.25)
    web = SampleWeb(small_web.size, small_web.seed)
    for prog in web.programs:  # the sites stop linking their pages: only home pages are reached
        for page in prog.pages:
            page.links = []
    sample_server.replace(web)
    _, crawled, ok, broken = site_night(con, sample_server.url, "r2", share=0.25)
    assert not ok and any(b.startswith("pages reached") for b in broken)
    status, = con.execute("select status from raw.refresh_runs where run_id = 'r2' and stage = 'crawl'").fetchone()
    assert status == "unhealthy"
