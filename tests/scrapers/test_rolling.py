"""The rolling ACGME detail refresh: new and changed programs at once, then the least recently read,
within the night's budget; the reports confirm every program every night."""
import datetime as dt

from pipelines.ingest import archive
from scrapers.rolling import budget_requests, plan_details
from tests.scrapers.test_acgme import night

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_new_then_changed_then_oldest_within_share_and_budget():
    census = [f"p{i:02d}" for i in range(20)]
    last = {p: T0 + dt.timedelta(days=i) for i, p in enumerate(census) if p not in ("p05", "p17")}  # p05, p17 new
    plan = plan_details(census, last, changed={"p12"}, share=0.25, budget=None, overhead=0)
    assert plan.fetch[:3] == ["p05", "p17", "p12"]
    assert plan.fetch[3:] == ["p00", "p01", "p02", "p03", "p04"]  # ceil(0.25 * 20) = 5 of the oldest
    assert (plan.new, plan.changed, plan.rolling, plan.deferred_urgent) == (2, 1, 5, 0)
    tight = plan_details(census, last, changed={"p12"}, share=0.25, budget=4, overhead=2)
    assert tight.fetch == ["p05", "p17"] and tight.deferred_urgent == 1  # the budget wins; p12 is first tomorrow
    assert budget_requests(7200, 2.0) == 3600 and budget_requests(7200, 0) is None


def test_first_night_reads_every_page_later_nights_a_share_and_every_program_stays_confirmed(sample_server, small_web, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    details = lambda: sum(1 for _, path in sample_server.requests if "/Programs/Detail" in path)  # noqa: E731
    first = night(con, sample_server.url, "r1", share=0.25)
    assert first["details_new"] == first["listings_parsed"] == small_web.size == details()
    before = details()
    second = night(con, sample_server.url, "r2", share=0.25)
    assert details() - before == second["details_due"] == -(-small_web.size // 4)
    assert second["details_new"] == second["details_changed"] == 0
    # every program in tonight's reports counts as listed, read tonight or not
    seen = con.execute("select count(*) from raw.acgme_listings where seen_at >= "
                       "(select min(fetched_at) from raw.fetch_log where run_id = 'r2')").fetchone()[0]
    assert seen == small_web.size
    # the next night takes the next-oldest pages, not the same ones again
    read_r2 = {r[0] for r in con.execute("select program_id from raw.fetch_log where run_id = 'r2' and source = 'acgme_detail'").fetchall()}
    night(con, sample_server.url, "r3", share=0.25)
    read_r3 = {r[0] for r in con.execute("select program_id from raw.fetch_log where run_id = 'r3' and source = 'acgme_detail'").fetchall()}
    assert read_r2 and read_r3 and not read_r2 & read_r3


def test_a_changed_report_row_has_its_detail_page_read_the_same_night(sample_server, small_web, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    night(con, sample_server.url, "r1", share=0.25)
    target = small_web.programs[7].program_id
    # as if the report had said something else before: tonight's report row differs from the stored one
    con.execute("update raw.acgme_report_rows set row_hash = 'older' where program_id = ?", [target])
    con.execute("delete from raw.pages where source = 'acgme_report'")  # no validators: the reports are read again
    counts = night(con, sample_server.url, "r2", share=0.0)
    read = [r[0] for r in con.execute("select program_id from raw.fetch_log where run_id = 'r2' and source = 'acgme_detail'").fetchall()]
    assert read == [target] and counts["details_changed"] == 1


def test_the_nights_requests_never_exceed_the_budget(sample_server, small_web, tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    budget_s, per_request = 2.0 * 40, 2.0  # 40 requests at 2 s each
    before = len(sample_server.requests)
    counts = night(con, sample_server.url, "r1", share=1.0, budget_s=budget_s, seconds_per_request=per_request)
    asked = len(sample_server.requests) - before  # every request of the night, robots.txt and forms included
    assert counts["details_due"] > 0 and asked <= 40
    assert counts["details_deferred"] == small_web.size - counts["details_due"]
