"""A fact a person corrected: it wins at the next run, moves only the applicants it concerns, and goes
back to the queue when its page changes. And every `smartpick facts` command refuses bad input, writing nothing."""
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.operations.helpers import query, run_job

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def smartpick(db, *args):
    env = {**os.environ, "SMARTPICK_DUCKDB": str(db)}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def _excluded_by_a_stated_j1_no(db):
    """(applicant, program) where a page's stated "no J-1" excludes a J-1 applicant, and a bystander whose
    list the J-1 fact cannot move (they need no J-1)."""
    applicant, program = query(db, """
        select s.applicant_id, s.program_id from app.program_scores s join app.applicants a using (applicant_id)
        where a.visa_need = 'j1' and s.gate_reasons = ['visa_j1_closed'] order by 1, 2 limit 1""")[0]
    bystander = query(db, """select applicant_id from app.applicants where visa_need not in ('j1', 'either')
                             and applicant_id in (select applicant_id from app.delivery_ledger) order by 1 limit 1""")[0][0]
    return applicant, program, bystander


def test_a_correction_lists_the_program_alerts_once_and_a_page_change_requeues_it(refreshed):
    db, server, sink = refreshed.db, refreshed.server, refreshed.sink
    applicant, program, bystander = _excluded_by_a_stated_j1_no(db)
    ledger = lambda who: query(db, "select * from app.delivery_ledger where applicant_id = ? order by all", [who])  # noqa: E731
    versions = lambda who: query(db, "select list_version, list_hash from app.list_versions where applicant_id = ? order by 1", [who])  # noqa: E731
    bystander_before = (ledger(bystander), versions(bystander))

    res = smartpick(db, "facts", "correct", program, "sponsors_j1", "true", "--note", "The visa page accepts J-1 physicians.")
    assert res.returncode == 0, res.stderr
    assert run_job(refreshed.defs, refreshed.instance).success

    status = query(db, """select status from app.ranked_lists where applicant_id = ? and program_id = ?
                          and list_version = (select max(list_version) from app.list_versions where applicant_id = ?)""",
                   [applicant, program, applicant])[0][0]
    assert status != "excluded"
    assert query(db, "select sponsors_j1, sponsors_j1_source from marts.dim_programs where program_id = ?", [program])[0] == (True, "corrected")
    sent_to = [rcpts[0] for _, rcpts, _ in sink.messages]
    email = query(db, "select email from app.applicants where applicant_id = ?", [applicant])[0][0]
    assert sent_to.count(email) == 1
    text = [m for m in sink.parsed() if m["To"].addresses[0].addr_spec == email][0].get_body(("plain",)).get_content()
    assert "corrected after review by SmartPick" in text and 'now: "The visa page accepts J-1 physicians."' in text
    page = [m for m in sink.parsed() if m["To"].addresses[0].addr_spec == email][0]
    html = next(a.get_content() for a in page.iter_attachments() if a.get_filename().endswith(".html"))
    assert "corrected by SmartPick on" in html and "report a mistake" in html
    assert (ledger(bystander), versions(bystander)) == bystander_before  # nobody else's list or ledger moved

    # the program edits the page the fact was checked against: extraction wins again, the fact is queued
    url = query(db, "select sponsors_j1_source_url from marts.dim_programs where program_id = ?", [program])[0][0]
    path = urlsplit(url).path
    page = server.web.pages[path]
    from sample_web import render

    server.override(path, (render.program_page(*page) + "<p>Updated this week.</p>").encode())
    # and an applicant's report of another fact, recorded by ops: it changes no value, it tops the queue
    other = query(db, "select program_id from marts.dim_programs where program_id <> ? and accepts_imgs order by 1 limit 1", [program])[0][0]
    assert smartpick(db, "facts", "report", other, "accepts_imgs", "--value", "false", "--note", "says IMGs are not considered").returncode == 0
    assert run_job(refreshed.defs, refreshed.instance).success
    assert query(db, "select accepts_imgs from marts.dim_programs where program_id = ?", [other])[0][0] is True
    assert query(db, "select sponsors_j1, sponsors_j1_source from marts.dim_programs where program_id = ?", [program])[0] == (False, "extracted")
    queue = smartpick(db, "facts", "queue", "--limit", "200")
    assert queue.returncode == 0, queue.stderr
    line = next(line for line in queue.stdout.splitlines() if line.startswith(program) and "sponsors_j1" in line)
    assert "page changed since" in queue.stdout and "reviewed:" in queue.stdout and line
    reported = next(r for r in queue.stdout.splitlines() if r.startswith(other) and "accepts_imgs" in r)
    assert "reported by an" in reported


@pytest.mark.parametrize("args, says", [
    (["facts", "correct", "0000000000", "sponsors_j1", "true", "--note", "x"], "no program"),
    (["facts", "correct", "{program}", "sponsors_x", "true", "--note", "x"], "no fact"),
    (["facts", "correct", "{program}", "step2ck_min", "high", "--note", "x"], "whole number"),
    (["facts", "correct", "{program}", "step2ck_min", "999", "--note", "x"], "between"),
    (["facts", "correct", "{program}", "ecfmg_required_by", "soon", "--note", "x"], "one of"),
    (["facts", "correct", "{program}", "sponsors_j1", "perhaps", "--note", "x"], "true or false"),
    (["facts", "unset", "{program}", "sponsors_j1", "--note", " "], "needs --note"),
    (["facts", "report", "{program}", "usce_min_months", "--value", "-3"], "between"),
    (["facts", "confirm", "{program}", "sponsors_j1", "--by", "applicant"], "Invalid value"),
])
def test_bad_input_to_a_facts_command_is_refused_and_writes_nothing(refreshed, args, says):
    db = refreshed.db
    program = query(db, "select program_id from marts.dim_programs order by 1 limit 1")[0][0]
    before = query(db, "select count(*) from raw.fact_reviews")[0][0]
    res = smartpick(db, *[a.format(program=program) for a in args])
    assert res.returncode != 0 and says in res.stderr, (res.stdout, res.stderr)
    assert query(db, "select count(*) from raw.fact_reviews")[0][0] == before


def test_every_facts_command_shows_an_example():
    for cmd in ("queue", "confirm", "correct", "unset", "report"):
        res = subprocess.run([sys.executable, "-m", "pipelines.cli", "facts", cmd, "--help"], cwd=ROOT, capture_output=True, text=True)
        assert "Example: smartpick facts " + cmd in res.stdout


def test_the_ui_shows_the_queue_size_and_warns_on_a_high_impact_fact_left_too_long(refreshed):
    import dagster as dg

    event = refreshed.first.instance.get_latest_materialization_event(dg.AssetKey(["review", "fact_queue"]))
    meta = event.asset_materialization.metadata
    assert meta["facts_to_check"].value > 0 and meta["high_impact_facts"].value >= 0
    assert "@" not in str({k: v.value for k, v in meta.items()})  # no applicant in the metadata
    # the same warehouse with a limit of -1 days: every high-impact fact is late, and the check says so
    from pipelines.resources import OpsResource
    from tests.operations.helpers import run_job as run

    from tests.operations.helpers import definitions

    defs = definitions(refreshed.server.url, refreshed.db, ops=OpsResource(review_high_impact=1, review_max_days=-1),
                       applicants_cfg=refreshed.applicants_cfg, smtp=refreshed.smtp)
    result = run(defs, refreshed.instance, job="nightly_refresh", asset_selection=[dg.AssetKey(["review", "fact_queue"])])
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert [(c.asset_check_key.name, c.passed) for c in checks] == [("high_impact_facts_reviewed_in_time", False)]


def test_a_review_of_a_fact_no_page_states_holds_until_a_page_changes(refreshed):
    """The hash such a review is made against (all the program's current site pages) is the one dbt
    compares it with: recorded and applied, it stands; an edited page sends the fact back."""
    db, server = refreshed.db, refreshed.server
    program = query(db, """select program_id from marts.dim_programs
                           where accepts_imgs is null and pages_stored > 0 order by 1 limit 1""")[0][0]
    res = smartpick(db, "facts", "correct", program, "accepts_imgs", "true", "--note", "The coordinator wrote back: yes.")
    assert res.returncode == 0, res.stderr
    assert run_job(refreshed.defs, refreshed.instance).success
    assert query(db, "select accepts_imgs, accepts_imgs_source from marts.dim_programs where program_id = ?",
                 [program])[0] == (True, "corrected")

    # any page of the program changes: the review no longer stands, the fact is not stated again
    from sample_web import render

    prog = server.web.by_id[program]
    page = prog.pages[0]
    server.override(page.path, (render.program_page(prog, page) + "<!-- edited -->").encode())
    assert run_job(refreshed.defs, refreshed.instance).success
    assert query(db, "select accepts_imgs, accepts_imgs_source from marts.dim_programs where program_id = ?",
                 [program])[0] == (None, "extracted")


def test_a_facts_impact_counts_each_applicant_whose_outcome_it_decides_once(refreshed):
    """The queue counts impact from the stored bitmasks in one pass; here against the decoded codes,
    unnested and deduplicated per applicant (what it did before), over a whole run's pairs."""
    import duckdb

    from pipelines.operations import review_queue
    from pipelines.scoring.gates import GATE_FACT

    gate_facts = ", ".join(f"('{code}', '{fact}')" for code, fact in GATE_FACT.items())
    decoded = dict(((p, f), n) for p, f, n in query(refreshed.db, f"""
        with gate_facts(code, fact_name) as (values {gate_facts}),
        decided as (
            select s.applicant_id, s.program_id, g.fact_name
            from app.program_scores s, unnest(s.gate_reasons) u(code) join gate_facts g using (code)
            union
            select s.applicant_id, s.program_id, u.fact_name from app.program_scores s, unnest(s.asks) u(fact_name)
            union
            select s.applicant_id, s.program_id, f.fact_name from app.program_scores s,
                (values ('sponsors_h1b'), ('requires_step3_for_h1b')) f(fact_name) where s.outcome = 'open_with_step3')
        select program_id, fact_name, count(distinct applicant_id) from decided group by all"""))
    con = duckdb.connect(str(refreshed.db), read_only=True)
    try:
        counted = {(r["program_id"], r["fact_name"]): r["applicants"] for r in review_queue.queue(con) if r["applicants"]}
    finally:
        con.close()
    assert len(decoded) > 20 and {k[1] for k in decoded} >= {"sponsors_j1", "step2ck_min"}
    assert counted == decoded
