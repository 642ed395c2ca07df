import pytest
"""Monitoring that notices: a mostly dead crawl fails the run and keeps the last good facts; a page the
site stops linking is retired and its facts leave as a "page removed" policy change."""
from sample_web.generate import SampleWeb
from tests.operations.helpers import materialized, query, run_job

pytestmark = pytest.mark.e2e  # runs the whole job, or Dagster runs of it: `pytest -m 'not e2e'` for the quick suite


FACTS = ("select program_id, sponsors_j1, sponsors_h1b, step2ck_min, max_attempts, yog_max_years, usce_required, "
         "ecfmg_required_by, accepts_imgs from marts.dim_programs order by program_id")


def checks_of(result) -> dict:
    return {e.event_specific_data.asset_check_key.name: e.event_specific_data.passed
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


def test_a_dead_crawl_fails_the_run_and_the_marts_keep_their_facts(refreshed_web, tmp_path):
    defs, instance, db = refreshed_web.copy(tmp_path)  # after one good run
    before = query(db, FACTS)
    assert any(any(v is not None for v in row[1:]) for row in before)
    refreshed_web.server.sites_disallowed = True  # every program site now refuses crawlers
    result = run_job(defs, instance)
    assert not result.success  # the run fails, so the ops alert sensor fires
    assert checks_of(result)["crawl_health"] is False
    assert "raw/program_facts" not in materialized(result) and "marts/dim_programs" not in materialized(result)
    assert query(db, FACTS) == before
    status, note = query(db, "select status, note from raw.refresh_runs where stage = 'crawl' order by finished_at desc limit 1")[0]
    assert status == "unhealthy" and "robots_share" in note


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


def test_a_page_no_longer_linked_is_retired_and_recorded_as_removed(refreshed_web, tmp_path):
    defs, instance, db = refreshed_web.copy(tmp_path, retire_after_refreshes=1)  # after one good run
    web = SampleWeb(refreshed_web.SIZE, refreshed_web.SEED)
    pid, path, facts = _unlink_a_fact_page(web)
    assert query(db, "select retired_reason from raw.pages where url like ?", [f"%{path}"]) == [(None,)]
    refreshed_web.server.replace(web)
    assert run_job(defs, instance).success
    (reason,) = query(db, "select retired_reason from raw.pages where url like ?", [f"%{path}"])[0]
    assert reason == "no longer linked"
    removed = {r[0] for r in query(db, "select fact_name from marts.fct_program_policy_changes "
                                       "where program_id = ? and change_kind = 'page removed'", [pid])}
    assert removed and removed <= set(facts)
