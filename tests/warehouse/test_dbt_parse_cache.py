"""dbt's partial-parse state per warehouse: brought into each run's target folder, saved back whole."""
from pipelines.warehouse.dbt import parse_cache, parse_cache_path


def test_saved_state_goes_in_and_the_new_state_comes_back(tmp_path):
    db = tmp_path / "w.duckdb"
    saved = parse_cache_path(str(db))
    saved.write_bytes(b"state of the last run")
    target = tmp_path / "run1" / "target"
    with parse_cache(str(db), target):
        assert (target / "partial_parse.msgpack").read_bytes() == b"state of the last run"
        (target / "partial_parse.msgpack").write_bytes(b"state of this run")
    assert saved.read_bytes() == b"state of this run"
    assert not list(tmp_path.glob("*.tmp"))


def test_a_run_that_left_no_state_keeps_the_saved_one(tmp_path):
    db = tmp_path / "w.duckdb"
    saved = parse_cache_path(str(db))
    saved.write_bytes(b"good state")
    target = tmp_path / "run2" / "target"
    try:
        with parse_cache(str(db), target):
            (target / "partial_parse.msgpack").unlink()  # dbt died before writing one
            raise RuntimeError("dbt failed")
    except RuntimeError:
        pass
    assert saved.read_bytes() == b"good state"


def test_each_warehouse_has_its_own_state(tmp_path):
    assert parse_cache_path(str(tmp_path / "a.duckdb")) != parse_cache_path(str(tmp_path / "b.duckdb"))
    assert parse_cache_path(str(tmp_path / "a.duckdb")).parent == tmp_path
