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
from pipelines.ingest import archive
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


def _flip(db: Path, where: int) -> None:
    with open(db, "r+b") as fh:
        fh.seek(where)
        b = fh.read(1)
        fh.seek(where)
        fh.write(bytes([b[0] ^ 0xFF]))


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9], ids=["early", "middle", "late"])
def test_one_flipped_byte_inside_the_file_is_refused_at_open_with_the_backup_named(tmp_path, fraction):
    db = tmp_path / "data" / "w.duckdb"
    bystander = tmp_path / "data" / "other.duckdb"  # another warehouse, left as it is
    for path in (db, bystander):
        with WarehouseResource(path=str(path)).connect() as con:
            con.execute("create table raw.filler as select range as x, repeat('x', 50) || range::varchar as pad from range(200000)")
            con.execute("checkpoint")
    archive.backup(db, keep=2)
    _flip(db, int(db.stat().st_size * fraction))
    before = db.read_bytes()
    with pytest.raises(archive.WarehouseUnreadable, match="is damaged") as err:
        with WarehouseResource(path=str(db)).connect() as con:
            con.execute("create table raw.written as select 1")
    assert str(archive.latest_backup(db)) in str(err.value) and "nothing has been written" in str(err.value)
    assert db.read_bytes() == before  # refused before anything wrote to it
    with WarehouseResource(path=str(bystander)).connect() as con:  # the bystander opens as before
        assert con.execute("select count(*) from raw.filler").fetchone() == (200000,)


def test_a_file_as_smartpick_left_it_is_not_read_whole_again(tmp_path, monkeypatch):
    import warehouse.connection as wc

    db = tmp_path / "w.duckdb"
    with WarehouseResource(path=str(db)).connect() as con:
        con.execute("create table raw.t as select 1 as x")
    reads = []
    monkeypatch.setattr(wc, "read_everything", lambda con: reads.append(1))
    with WarehouseResource(path=str(db)).connect():
        pass
    assert reads == []
    os.utime(db, ns=(time.time_ns(), time.time_ns()))  # changed by someone else: read whole once
    with WarehouseResource(path=str(db)).connect():
        pass
    assert reads == [1]


def test_the_write_ahead_log_is_owner_only_whatever_the_umask(tmp_path):
    db = tmp_path / "w.duckdb"
    code = (f"import os, stat, sys; os.umask(0); sys.path.insert(0, {str(ROOT)!r})\n"
            "from pipelines.resources import WarehouseResource\n"
            f"with WarehouseResource(path={str(db)!r}).connect() as con:\n"
            "    con.execute(\"create table raw.people as select 'Eve Example' as name, 'eve@example.org' as email\")\n"
            f"    wal = {str(db)!r} + '.wal'\n"
            "    print(oct(os.stat(wal).st_mode & 0o777) if os.path.exists(wal) else 'no wal')\n"
            "    open(os.path.join(os.path.dirname(wal), 'after.txt'), 'w').close()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0o600"
    assert oct((tmp_path / "after.txt").stat().st_mode & 0o777) == "0o600"  # and any other file the process makes
