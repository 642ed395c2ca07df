"""Warehouse stage: the dbt project, every seed, model and snapshot an asset downstream of raw/*."""
import tempfile
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

import warehouse as store
from expectations.suites import SUITES
from pipelines.checking import gx_check_result
from pipelines.resources import WarehouseResource
from pipelines.warehouse.dbt import (DBT_PROJECT, SmartPickTranslator, dbt_for_warehouse, parse_cache, reference_vars,
                                     with_table_metadata)


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=SmartPickTranslator(),
            pool="duckdb_writer")
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # this run's warehouse resource decides the file: dbt gets a profile written for this run
    # (no process-wide environment variable is changed, so parallel definitions do not collide)
    with tempfile.TemporaryDirectory(prefix="smartpick-dbt-") as folder, warehouse.lock():
        run_dbt = dbt_for_warehouse(dbt, warehouse.path, Path(folder))
        target = Path(folder) / "target"  # artefacts of one run: nothing piles up under dbt_project/target
        with parse_cache(warehouse.path, target):
            events = list(run_dbt.cli(["build", *reference_vars(warehouse)], context=context, target_path=target).stream())
        store.mark_verified(warehouse.path)  # dbt finished and closed the file: as SmartPick left it
    # dbt has released the file: row counts and column schemas (with their descriptions) are read now,
    # in one connection, rather than by a second connection racing dbt for the writer lock
    keys = context.assets_def.keys_by_output_name
    with warehouse.connect() as con:
        for event in events:
            yield with_table_metadata(con, event, keys)


@dg.asset_check(asset=dg.AssetKey(["marts", "fct_program_img_features"]), blocking=True,
                description=SUITES["features_mart"].description,
                additional_deps=[dg.AssetKey(["marts", "fct_program_img_friendliness"])])
def features_mart_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return gx_check_result("features_mart", warehouse)


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[warehouse_models], asset_checks=[features_mart_expectations])
