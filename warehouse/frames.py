"""Bulk writes and transactions: the two ways SmartPick writes rows."""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def transaction(con):
    """begin / commit, or rollback and re-raise: a failure midway leaves nothing half written."""
    con.execute("begin")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def insert_frame(con, sql: str, rows: list, columns: list[str]) -> None:
    """Bulk insert through a registered DataFrame: DuckDB's executemany goes row by row."""
    if not rows:
        return
    import pandas as pd  # here, not at the top: a report worker imports the warehouse and writes no frame

    con.register("_rows", pd.DataFrame(rows, columns=columns).astype(object).where(lambda d: d.notna(), None))
    try:
        con.execute(sql.replace("{rows}", "_rows"))
    finally:
        con.unregister("_rows")


