"""Monitoring that notices: a mostly dead crawl fails the run and keeps the last good facts; a page the
site stops linking is retired and its facts leave as a "page removed" policy change."""
from urllib.parse import urlsplit

import pytest

from pipelines.definitions import build_definitions
from pipelines.resources import ScrapeResource, WarehouseResource
from sample_web.generate import SampleWeb
from sample_web.server import SampleWebServer
from tests.pipelines.helpers import materialized, new_instance, query, run_job

FACTS = ("select program_id, sponsors_j1, sponsors_h1b, step2ck_min, max_attempts, yog_max_years, usce_required, "
         "ecfmg_required_by, accepts_imgs from marts.dim_programs order by program_id")


def setup(tmp_path, web: SampleWeb, **scrape):
    server = SampleWebServer(web).start()
    host = urlsplit(server.url).netloc
    defs = build_definitions(scrape=ScrapeResource(acgme_base_url=server.url, host_intervals={host: 0.0}, workers=4, **scrape),
                             warehouse=WarehouseResource(path=str(tmp_path / "w.duckdb")))
    return server, defs, new_instance(tmp_path)


def checks_of(result) -> dict:
    return {e.event_specific_data.asset_check_key.name: e.event_specific_data.passed
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


def test_a_dead_crawl_fails_the_run_and_the_marts_keep_their_facts(tmp_path):
    server, defs, instance = setup(tmp_path, SampleWeb(30, 4))
    try:
        assert run_job(defs, instance).success
        db = tmp_path / "w.duckdb"
        before = query(db, FACTS)
        assert any(any(v is not None for v in row[1:]) for row in before)
        server.sites_disallowed = True  # every program site now refuses crawlers
        result = run_job(defs, instance)
        assert not result.success  # the run fails, so the ops alert sensor fires
        assert checks_of(result)["crawl_health"] is False
        assert "raw/program_facts" not in materialized(result) and "marts/dim_programs" not in materialized(result)
        assert query(db, FACTS) == before
        status, note = query(db, "select status, note from raw.refresh_runs where stage = 'crawl' order by finished_at desc limit 1")[0]
        assert status == "unhealthy" and "robots_share" in note
    finally:
        server.stop()


def _unlink_a_fact_page(web: SampleWeb):
    """A program page whose facts no other page of the program states; the site stops linking to it."""
    for prog in web.programs:
        for page in prog.pages[1:]:
            others = set().union(*[set(p.truth()) for p in prog.pages if p is not page])
            unique = set(page.truth()) - others
            if unique and page.kind != "residents" and all(page.path not in [h for _, h in p.links] or p.kind == "home"
                                                             for p in prog.pages):
                for p in prog.pages:
                    p.links = [(t, h) for t, h in p.links if h != page.path]
                return prog.program_id, page.path, unique
    raise AssertionError("no page with facts of its own in this sample web")


def test_a_page_no_longer_linked_is_retired_and_recorded_as_removed(tmp_path):
    server, defs, instance = setup(tmp_path, SampleWeb(30, 4), retire_after_refreshes=1)
    try:
        assert run_job(defs, instance).success
        web = SampleWeb(30, 4)
        pid, path, facts = _unlink_a_fact_page(web)
        server.replace(web)
        assert run_job(defs, instance).success
        db = tmp_path / "w.duckdb"
        (reason,) = query(db, "select retired_reason from raw.pages where url like ?", [f"%{path}"])[0]
        assert reason == "no longer linked"
        removed = {r[0] for r in query(db, "select fact_name from marts.fct_program_policy_changes "
                                           "where program_id = ? and change_kind = 'page removed'", [pid])}
        assert removed and removed <= set(facts)
    finally:
        server.stop()
