"""Running the real Dagster job against a loopback sample web and a temporary DuckDB file."""
from urllib.parse import urlsplit

import dagster as dg
import duckdb

from pipelines.definitions import build_definitions
from pipelines.resources import ScrapeResource, WarehouseResource


def definitions(server_url: str, db_path, **extra):
    host = urlsplit(server_url).netloc
    scrape = ScrapeResource(acgme_base_url=server_url, host_intervals={host: 0.0}, workers=4)
    return build_definitions(scrape=scrape, warehouse=WarehouseResource(path=str(db_path)), **extra)


def run_job(defs, instance, job="nightly_refresh", **kw):
    return defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=False, **kw)


def query(db_path, sql, params=None):
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
            for e in [e.event_specific_data.materialization]}


def new_instance(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.local_temp(str(home))
