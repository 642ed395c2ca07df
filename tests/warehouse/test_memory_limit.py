"""DuckDB is held to half the RAM, at most 1 GB, unless configured: its own default (80%) let a scoring run take the machine."""
import os
import re

import duckdb
import pytest

import warehouse
from warehouse.connection import memory_limit_setting

RAM_MB = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def _mb(con) -> float:
    number, unit = re.fullmatch(r"([\d.]+) (\w+)", con.execute("select current_setting('memory_limit')").fetchone()[0]).groups()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "TiB": 1024 ** 2}[unit]


def test_a_warehouse_opened_without_a_limit_gets_half_the_ram_at_most_the_cap(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        got = _mb(con)
    finally:
        con.close()
    plain = duckdb.connect()
    try:
        duckdb_default = _mb(plain)
    finally:
        plain.close()
    from warehouse.connection import DEFAULT_MEMORY_CAP, mebibytes

    expected = min(RAM_MB / 2, mebibytes(DEFAULT_MEMORY_CAP))
    assert abs(got - expected) < max(8, expected * 0.02) and got < duckdb_default


def test_the_default_is_half_the_ram_on_a_machine_smaller_than_twice_the_cap(monkeypatch):
    """A 1.5 GB machine: half its RAM (750 MB), not the 1 GB cap."""
    real = os.sysconf

    def small(name):
        return 1.5e9 / real("SC_PAGE_SIZE") if name == "SC_PHYS_PAGES" else real(name)

    monkeypatch.setattr(os, "sysconf", small)
    assert abs(float(memory_limit_setting(None).removesuffix("MiB")) - 1.5e9 / 2 / 2**20) <= 1
    assert abs(float(memory_limit_setting("").removesuffix("MiB")) - 1.5e9 / 2 / 2**20) <= 1


@pytest.mark.parametrize("value, expected_mb", [("25%", RAM_MB / 4), ("1GB", 1000), ("512MB", 512)])
def test_a_share_or_a_size_can_be_configured(tmp_path, value, expected_mb):
    con = warehouse.connect(tmp_path / "w.duckdb", memory_limit=value)
    try:
        assert abs(_mb(con) - expected_mb) < max(8, expected_mb * 0.06)
    finally:
        con.close()


def test_a_share_out_of_range_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="between 0% and 100%"):
        memory_limit_setting("150%")


@pytest.mark.parametrize("value", ["1GB", "512MiB", "2.5GB", "300 MB", "1GiB"])
def test_a_size_is_read_as_duckdb_reads_it(value):
    from warehouse.connection import mebibytes

    con = duckdb.connect(config={"memory_limit": value})
    try:
        assert abs(mebibytes(value) - _mb(con)) <= 0.03 * _mb(con)  # DuckDB shows one decimal of its unit
    finally:
        con.close()


def test_report_workers_share_the_limit_and_hold_little_of_it():
    """Each report worker's DuckDB gets its part of the limit, at most WORKER_DUCKDB_MIB: a larger buffer
    only kept table blocks and every worker's memory counts at once. A size this cannot read gets the cap."""
    from pipelines.publishing.messages import WORKER_DUCKDB_MIB, _worker_mib

    assert _worker_mib("1GB", 2) == WORKER_DUCKDB_MIB  # 1 GB was half a gigabyte a worker, ~0.25 GB of it cached blocks
    assert _worker_mib("200MiB", 2) == min(WORKER_DUCKDB_MIB, 100)
    assert _worker_mib("100MiB", 4) == 64  # never so little that a chunk's query spills
    assert _worker_mib("lots", 2) == WORKER_DUCKDB_MIB
