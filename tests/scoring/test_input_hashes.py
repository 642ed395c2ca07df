"""Nothing is rescored for applicants whose inputs did not change; a change rescores exactly the
applicants it can touch (their profile, the programs of their target specialties, the model)."""
import dataclasses

from pipelines.scoring import score as scoring
from pipelines.ingest import archive
from tests.scoring import mini_marts

FAMILY = dict(mini_marts.SPECIALTY, specialty_code="120", specialty_name="Family Medicine")


def world(tmp_path):
    con = archive.connect(tmp_path / "h.duckdb")
    mini_marts.build(con, [{"sponsors_j1": True}, {"sponsors_j1": True, "step2ck_min": 230},
                           {"program_id": "1205500001", "specialty_code": "120", "specialty_name": "Family Medicine", "sponsors_j1": True}],
                     [mini_marts.SPECIALTY, FAMILY])
    mini_marts.applicant(tmp_path, con, applicant_id="im-one")
    mini_marts.applicant(tmp_path, con, applicant_id="im-two", email="two@example.org", step2ck_score=225)
    mini_marts.applicant(tmp_path, con, applicant_id="fm-one", email="fm@example.org", target_specialties=["Family Medicine"])
    return con


def nightly(con, params):
    """What the program_scores and ranked_lists assets do on a nightly run."""
    changed = scoring.changed_inputs(con, params)
    scoring.score(con, params, changed)
    scoring.mark_scored(con, changed)
    due = scoring.lists_due(con)
    scoring.build_lists(con, due, params)
    scoring.mark_listed(con, due)
    return changed, due


def test_a_second_night_with_nothing_changed_rescores_no_one(tmp_path):
    con, params = world(tmp_path), scoring.ScoringParams.for_today()
    assert nightly(con, params) == (["fm-one", "im-one", "im-two"], ["fm-one", "im-one", "im-two"])
    before = con.execute("select applicant_id, program_id, scored_at from app.program_scores order by 1, 2").fetchall()
    assert nightly(con, params) == ([], [])
    assert con.execute("select applicant_id, program_id, scored_at from app.program_scores order by 1, 2").fetchall() == before


def test_a_profile_change_rescores_that_applicant_only(tmp_path):
    con, params = world(tmp_path), scoring.ScoringParams.for_today()
    nightly(con, params)
    gates = "select gate_reasons from app.program_scores where applicant_id = 'im-two' and program_id = '1400500001'"
    assert con.execute(gates).fetchone()[0] == ["step2_floor"]
    mini_marts.applicant(tmp_path, con, applicant_id="im-two", email="two@example.org", step2ck_score=236)
    changed, due = nightly(con, params)
    assert changed == due == ["im-two"]
    assert con.execute(gates).fetchone()[0] == []


def test_a_program_fact_change_rescores_the_applicants_of_its_specialty_only(tmp_path):
    con, params = world(tmp_path), scoring.ScoringParams.for_today()
    nightly(con, params)
    con.execute("update marts.fct_program_img_features set sponsors_j1 = false where program_id = '1205500001'")
    assert nightly(con, params)[0] == ["fm-one"]
    con.execute("update marts.dim_programs set step2ck_min_evidence = 'A new sentence.' where program_id = '1400500001'")
    assert nightly(con, params)[0] == ["im-one", "im-two"]


def test_a_check_time_alone_changes_nothing_but_the_model_changes_everyone(tmp_path):
    con, params = world(tmp_path), scoring.ScoringParams.for_today()
    nightly(con, params)
    con.execute("alter table marts.dim_programs add column site_checked_at timestamptz")
    con.execute("update marts.dim_programs set site_checked_at = now()")  # a nightly check of unchanged pages
    assert nightly(con, params)[0] == []
    assert nightly(con, dataclasses.replace(params, safety_signals=4))[0] == ["fm-one", "im-one", "im-two"]


def test_a_scores_table_of_an_older_shape_is_replaced_and_everyone_rescored(tmp_path):
    # scores are derived: a warehouse written before the bitmasks (program_scores a table of code lists)
    # must not keep hashes that say "scored" over a table that no longer holds the scores
    con, params = world(tmp_path), scoring.ScoringParams.for_today()
    nightly(con, params)
    con.execute("drop view app.program_scores")
    con.execute("create table app.program_scores as select * exclude (gate_mask, ask_mask), [] as gate_reasons, [] as asks "
                "from app.pair_scores")
    con.execute("drop table app.pair_scores")
    assert nightly(con, params)[0] == ["fm-one", "im-one", "im-two"]
    assert con.execute("select table_type from information_schema.tables where table_name = 'program_scores'").fetchone()[0] == "VIEW"
    assert con.execute("select gate_reasons from app.program_scores where applicant_id = 'im-two' "
                       "and program_id = '1400500001'").fetchone()[0] == ["step2_floor"]


def test_scores_written_with_another_bit_order_are_rescored_not_misread(tmp_path, monkeypatch):
    con, params = world(tmp_path), scoring.ScoringParams.for_today()
    nightly(con, params)
    # a later release inserts a new exclusion first: every stored bit would now name the wrong reason
    monkeypatch.setattr(scoring, "GATE_CODES", ("new_gate",) + scoring.GATE_CODES)
    scoring.ensure_schema(con)
    assert con.execute("select count(*) from app.pair_scores").fetchone()[0] == 0
    assert scoring.changed_inputs(con, params) == ["fm-one", "im-one", "im-two"]
    assert "new_gate" in con.execute("select comment from duckdb_tables() where table_name = 'pair_scores'").fetchone()[0]
