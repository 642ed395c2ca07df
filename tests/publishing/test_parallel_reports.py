"""Reports built in worker processes, each reading the warehouse read-only, are the files one process writes."""
import os
import stat

from pipelines.ingest import archive
from pipelines.publishing.messages import write_reports, write_reports_parallel
from tests.scoring import mini_marts

PROGRAMS = [{"sponsors_j1": i % 3 != 0, "step2ck_min": 220 + i, "state": ["TX", "NY", "CA"][i % 3]} for i in range(6)]


def _warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    con = archive.connect(db)
    mini_marts.build(con, PROGRAMS)
    ids = [mini_marts.listed(tmp_path, con, applicant_id=f"par-{i}", email=f"par{i}@example.org", visa_need="j1",
                             step2ck_score=222 + 3 * i) for i in range(5)]
    return db, con, ids


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_workers_write_what_one_process_writes(tmp_path):
    db, con, ids = _warehouse(tmp_path)
    assert write_reports(con, tmp_path / "one", ids) == 5
    con.close()
    assert write_reports_parallel(str(db), tmp_path / "two", None, workers=2, chunk=2) == 5
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) == 10
    assert one == two
    for path in (tmp_path / "two" / "reports").rglob("*"):
        assert stat.S_IMODE(os.stat(path).st_mode) == (0o700 if path.is_dir() else 0o600)
    # a second call finds every file current and writes none
    assert write_reports_parallel(str(db), tmp_path / "two", ids, workers=2, chunk=2) == 0
