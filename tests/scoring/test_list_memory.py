"""Lists for many applicants under a small DuckDB memory limit: lists are built a batch of applicants at a
time, because an ordered string_agg cannot spill to disk (and the evidence of every list at once spills)."""
import pytest

from bench.synthetic_warehouse import load_applicants, synthetic_applicants
from pipelines.ingest import archive
from pipelines.scoring import score as scoring
from tests.scoring import mini_marts


def _warehouse(tmp_path, limit: str, applicants: int = 1500):
    con = archive.connect(tmp_path / "w.duckdb")
    mini_marts.build(con, [{"sponsors_j1": i % 3 != 0, "step2ck_min": 215 + i % 30, "state": ["TX", "NY", "OH"][i % 3],
                            "program_name": f"Memory Test Program {i:04d} of a Long Sample Hospital Name (SAMPLE)"}
                           for i in range(400)])
    load_applicants(con, [{**p, "target_specialties": ["Internal Medicine"]} for p in synthetic_applicants(applicants)])
    params = scoring.ScoringParams.for_today()
    scoring.score(con, params)
    con.execute(f"set memory_limit = '{limit}'")
    con.execute("set threads = 1")
    return con, params


def test_lists_for_many_applicants_fit_a_small_memory_limit(tmp_path, monkeypatch):
    con, params = _warehouse(tmp_path, "128MB")
    monkeypatch.setattr(scoring, "LIST_BATCH", 100)
    assert scoring.build_lists(con, params=params)["new_list_versions"] == 1500
    assert con.execute("select count(*) from app.ranked_lists").fetchone()[0] == 1500 * 400


def test_all_at_once_does_not_fit_the_same_limit(tmp_path, monkeypatch):
    """The baseline: the same lists hashed in one batch run out of memory, so the test above proves the batching."""
    import duckdb

    con, params = _warehouse(tmp_path, "128MB")
    monkeypatch.setattr(scoring, "LIST_BATCH", 10_000)
    with pytest.raises(duckdb.OutOfMemoryException):
        scoring.build_lists(con, params=params)


def _lists(con):
    return con.execute("select * exclude (created_at) from app.ranked_lists join app.list_versions using (applicant_id, list_version) "
                       "order by all").fetchall()


def test_batches_build_the_same_lists_as_one_batch(tmp_path, monkeypatch):
    """Batch edges (7 applicants a batch, 300 applicants) change no row, version or hash."""
    one, params = _warehouse(tmp_path / "one", "4GB", 300)
    scoring.build_lists(one, params=params)
    monkeypatch.setattr(scoring, "LIST_BATCH", 7)
    many, _ = _warehouse(tmp_path / "many", "4GB", 300)
    assert scoring.build_lists(many, params=params)["new_list_versions"] == 300
    assert _lists(many) == _lists(one)
    some = sorted(r[0] for r in many.execute("select applicant_id from app.applicants order by 1 limit 20").fetchall())
    many.execute("update app.applicants set step2ck_score = 200 where applicant_id in (select unnest(?))", [some[::2]])
    scoring.score(many, params, some)
    assert scoring.build_lists(many, some, params)["changed_applicants"] == some[::2]  # only those whose list changed
