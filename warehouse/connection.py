"""The DuckDB file: opening it safely (checked, waiting for other holders), securing it, backing it up."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from pathlib import Path

import duckdb



PRIVATE_UMASK = 0o077


def private_files() -> None:
    """Every file this process creates from now on is its owner's only, whatever umask it started with.
    DuckDB creates the write-ahead log and its spill directory (`<file>.tmp/`) itself, while it writes,
    with the process umask: under 022 (or 000) a crash left names and emails in a world-readable .wal.
    The process is SmartPick's (the CLI, a Dagster run, dbt as its child): its files hold applicant data."""
    os.umask(PRIVATE_UMASK)


def secure(path: str | os.PathLike) -> None:
    """Applicant data lives in this file: readable and writable by its owner only."""
    p = Path(path)
    for f in (p, Path(str(p) + ".wal")):
        if f.exists():
            os.chmod(f, 0o600)


# -- integrity ----------------------------------------------------------------------------------------
# DuckDB checks a block's checksum when it reads the block, and a count(*) reads none: a flipped byte or
# a scribbled block went unnoticed until a step read it, after commands had written to the file. Reading
# every column of every table costs seconds on a large warehouse, so it is done when the file is not as
# SmartPick last left it: the file's size, modification time and inode are noted beside it
# (`<file>.verified`) when a writer closes it cleanly or a full read passes.
def _file_state(p: Path) -> dict:
    st = p.stat()
    wal = Path(str(p) + ".wal")
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino, "wal": wal.stat().st_size if wal.exists() else None}


def _verified_path(p: Path) -> Path:
    return Path(str(p) + ".verified")


def mark_verified(path: str | os.PathLike) -> None:
    """The file as it is now is SmartPick's own doing (a writer closed it, dbt finished, a full read passed)."""
    p = Path(path)
    if p.exists():
        target = _verified_path(p)
        tmp = Path(str(target) + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(_file_state(p), fh)
        os.replace(tmp, target)


def _known_good(p: Path) -> bool:
    try:
        return json.loads(_verified_path(p).read_text()) == _file_state(p)
    except (OSError, ValueError):
        return False


def read_everything(con) -> None:
    """Reads every column of every table, so every data block's checksum is checked."""
    for schema, table in con.execute("select schema_name, table_name from duckdb_tables() where not internal").fetchall():
        con.execute(f'select bit_xor(hash(columns(*))) from "{schema}"."{table}"').fetchall()


class WarehouseUnreadable(RuntimeError):
    """The warehouse file is damaged (truncated, bad checksum): nothing is written to it."""


class WarehouseBusy(RuntimeError):
    """Another process (a read-only analyst session, say) holds the file longer than a writer waits."""


def backups_dir(path: str | os.PathLike) -> Path:
    return Path(path).parent / "backups"


def latest_backup(path: str | os.PathLike) -> Path | None:
    found = sorted(backups_dir(path).glob(f"{Path(path).stem}-*.duckdb"))
    return found[-1] if found else None


DEFAULT_MEMORY_SHARE = 50  # percent of RAM: DuckDB's own default is 80%, which left a scoring run the whole machine
# ...and at most this. The census-sized nightly job (13,000 programs, 10,000 applicants) takes 8.8 minutes
# and 1.7 GB under it; half of a 24 GB machine bought DuckDB 12 s of the lists step and 11.7 GB of cache
# (bench/README.md). A machine with less than twice this gets half its RAM.
DEFAULT_MEMORY_CAP = "1GB"


def memory_limit_setting(value: str | None) -> str:
    """The memory limit DuckDB is given: a size as DuckDB reads it ("4GB"), or a share of this machine's
    RAM ("40%"); empty or None: DEFAULT_MEMORY_SHARE of the RAM, at most DEFAULT_MEMORY_CAP. Past the
    limit DuckDB spills to disk instead."""
    text = (value or "").strip()
    if not text:
        mib = min(_ram_mib(DEFAULT_MEMORY_SHARE), mebibytes(DEFAULT_MEMORY_CAP))
    elif text.endswith("%"):
        share = float(text[:-1])
        if not 0 < share <= 100:
            raise ValueError(f"memory limit {text!r}: a share of RAM is between 0% and 100%")
        mib = _ram_mib(share)
    else:
        return text
    return f"{max(256, int(mib))}MiB"


def _ram_mib(share: float) -> float:
    """`share` percent of this machine's RAM, in MiB."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * share / 100 / 2**20


_UNITS = {"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def mebibytes(setting: str) -> float:
    """A memory limit as DuckDB reads it ("1GB", "512MiB", "2.5 GB") in MiB, to share it out."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?i?b)\s*", setting.lower())
    if not m or m.group(2) not in _UNITS:
        raise ValueError(f"memory limit {setting!r}: a number and a unit such as MB, GB or GiB")
    return float(m.group(1)) * _UNITS[m.group(2)] / 2**20


def connect(path: str | os.PathLike, memory_limit: str | None = None, check: bool = False,
            busy_timeout_s: float = 0.0) -> duckdb.DuckDBPyConnection:
    """DuckDB is held to `memory_limit_setting(memory_limit)` (half the RAM, at most 1 GB, unless configured). With `check`,
    every table's row count is read once, so a damaged file is refused before anything writes to it;
    while another process holds the file, a writer waits up to `busy_timeout_s`."""
    private_files()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    waited, delay = 0.0, 0.2
    while True:
        try:
            con = duckdb.connect(str(p), config={"memory_limit": memory_limit_setting(memory_limit)})
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise _unreadable(p, exc) from exc
            if waited >= busy_timeout_s:
                holder = str(exc).split("Conflicting lock is held in", 1)[-1].split(". ")[0].strip() if "Conflicting" in str(exc) else "another process"
                raise WarehouseBusy(f"{p} is held by {holder} (a read-only session keeps writers out); "
                                    f"waited {waited:.0f} s. Close that session and run again.") from exc
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)
    secure(p)
    try:
        if check:
            if _known_good(p):  # as SmartPick left it: the cheap look that catches a truncated file
                for schema, table in con.execute("select schema_name, table_name from duckdb_tables() "
                                                 "where not internal").fetchall():
                    con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()
            else:
                read_everything(con)
                mark_verified(p)
    except duckdb.Error as exc:
        con.close()
        if isinstance(exc, (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException)) \
                or "corrupt" in str(exc).lower() or "checksum" in str(exc).lower():
            raise _unreadable(p, exc) from exc
        raise
    return con


def _unreadable(p: Path, exc: Exception) -> WarehouseUnreadable:
    backup = latest_backup(p)
    hint = (f"nothing has been written to it; restore the newest good copy, with no run going: cp {backup} {p}" if backup
            else "no backup exists yet; remove the file and rerun the nightly job to rebuild it")
    return WarehouseUnreadable(f"the warehouse {p} is damaged ({str(exc).splitlines()[0][:200]}); {hint}")


def backup(path: str | os.PathLike, keep: int) -> Path | None:
    """A copy of the (checkpointed, closed) file in backups/, the newest `keep` copies kept."""
    p = Path(path)
    if keep <= 0 or not p.exists():
        return None
    folder = backups_dir(p)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / f"{p.stem}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%f}.duckdb"
    shutil.copy2(p, target)
    os.chmod(target, 0o600)
    for old in sorted(folder.glob(f"{p.stem}-*.duckdb"))[:-keep]:
        old.unlink()
    return target


