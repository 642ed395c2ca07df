"""Warehouse stage: the dbt project, every seed, model and snapshot an asset downstream of raw/*."""

import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.resources import PROJECT_DIR, WarehouseResource

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR / "dbt_project", profiles_dir=PROJECT_DIR / "dbt_project")
# Under `dagster dev` the manifest is re-parsed; elsewhere it is built once by `make setup`.
DBT_PROJECT.prepare_if_dev()


class SmartPickTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props) -> str:
        return "warehouse"

    def get_owners(self, dbt_resource_props):
        return ["team:analytics"]


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=SmartPickTranslator(),
            pool="duckdb_writer")
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # dbt reads the warehouse path from its profile's env_var; this run's resource decides it.
    os.environ["SMARTPICK_DUCKDB"] = str(Path(warehouse.path).resolve())
    with warehouse.lock():
        yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    # The dbt installed beside this Python, so a bare `.venv/bin/python` works without PATH set.
    local = Path(sys.executable).parent / "dbt"
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=str(local) if local.exists() else "dbt")
