"""Lists for many applicants under a small DuckDB memory limit: the list hashes are taken a batch of
applicants at a time, because an ordered string_agg cannot spill to disk."""
import pytest

from bench.synthetic_warehouse import load_applicants, synthetic_applicants
from pipelines.ingest import archive
from pipelines.scoring import score as scoring
from tests.scoring import mini_marts


def _warehouse(tmp_path, limit: str):
    con = archive.connect(tmp_path / "w.duckdb")
    mini_marts.build(con, [{"sponsors_j1": i % 3 != 0, "step2ck_min": 215 + i % 30, "state": ["TX", "NY", "OH"][i % 3],
                            "program_name": f"Memory Test Program {i:04d} of a Long Sample Hospital Name (SAMPLE)"}
                           for i in range(400)])
    load_applicants(con, [{**p, "target_specialties": ["Internal Medicine"]} for p in synthetic_applicants(1500)])
    params = scoring.ScoringParams.for_today()
    scoring.score(con, params)
    con.execute(f"set memory_limit = '{limit}'")
    con.execute("set threads = 1")
    return con, params


def test_lists_for_many_applicants_fit_a_small_memory_limit(tmp_path, monkeypatch):
    con, params = _warehouse(tmp_path, "128MB")
    monkeypatch.setattr(scoring, "HASH_BATCH", 100)
    assert scoring.build_lists(con, params=params)["new_list_versions"] == 1500
    assert con.execute("select count(*) from app.ranked_lists").fetchone()[0] == 1500 * 400


def test_all_at_once_does_not_fit_the_same_limit(tmp_path, monkeypatch):
    """The baseline: the same lists hashed in one batch run out of memory, so the test above proves the batching."""
    import duckdb

    con, params = _warehouse(tmp_path, "128MB")
    monkeypatch.setattr(scoring, "HASH_BATCH", 10_000)
    with pytest.raises(duckdb.OutOfMemoryException):
        scoring.build_lists(con, params=params)
