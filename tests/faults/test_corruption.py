"""A damaged warehouse is refused with the file and the backup named; a busy file makes writers wait,
then say why; good copies are kept after each nightly run."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pipelines.resources import WarehouseResource
from scrapers import archive
from tests.scoring.helpers import profile

ROOT = Path(__file__).resolve().parents[2]


def damaged_warehouse(tmp_path) -> Path:
    db = tmp_path / "data" / "w.duckdb"
    con = archive.connect(db)
    con.execute("create table raw.filler as select range as x, repeat('x', 50) as pad from range(200000)")
    con.execute("checkpoint")
    con.close()
    archive.backup(db, keep=2)
    with open(db, "r+b") as fh:
        fh.truncate(db.stat().st_size // 2)
    return db


def test_commands_refuse_a_damaged_file_and_name_the_backup(tmp_path):
    db = damaged_warehouse(tmp_path)
    size = db.stat().st_size
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(profile(1)))
    home = tmp_path / "dh"  # an instance with no run history: status must still look at the file
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "SMARTPICK_DUCKDB": str(db), "SMARTPICK_OUTPUTS_DIR": str(tmp_path / "out"), "DAGSTER_HOME": str(home)}
    for args in (["applicants", "add", str(tmp_path / "p.yaml")], ["status"], ["applicants", "list"]):
        res = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
        assert res.returncode != 0, (args, res.stdout)
        assert "is damaged" in res.stderr and str(archive.latest_backup(db)) in res.stderr, (args, res.stderr[-800:])
    assert db.stat().st_size == size  # nothing was written into it


def test_a_writer_waits_for_a_read_only_session_then_says_why(tmp_path):
    db = tmp_path / "w.duckdb"
    archive.connect(db).close()
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}, read_only=True); "
                               "print('held', flush=True); time.sleep(4)"], stdout=subprocess.PIPE, text=True)
    try:
        holder.stdout.readline()
        t0 = time.monotonic()
        with pytest.raises(archive.WarehouseBusy, match="read-only session"):
            with WarehouseResource(path=str(db), busy_timeout_s=1.0).connect():
                pass
        assert time.monotonic() - t0 >= 1.0  # it waited before giving up
        with WarehouseResource(path=str(db), busy_timeout_s=20.0).connect() as con:  # the session ends: it proceeds
            assert con.execute("select 1").fetchone() == (1,)
    finally:
        holder.kill()


def test_backups_keep_the_newest_copies(tmp_path):
    db = tmp_path / "w.duckdb"
    archive.connect(db).close()
    made = [archive.backup(db, keep=3) for _ in range(5)]
    kept = sorted(archive.backups_dir(db).glob("w-*.duckdb"))
    assert kept == made[-3:] and archive.latest_backup(db) == made[-1]
    assert oct(os.stat(kept[0]).st_mode & 0o777) == "0o600"
