"""Warehouse stage: the dbt project, every seed, model and snapshot an asset downstream of raw/*."""

import json
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
        yield from dbt.cli(["build", *reference_vars()], context=context).stream()


def reference_vars() -> list[str]:
    """Users may point at their own copy of the NRMP tables (same columns) instead of the shipped seeds."""
    own = {var: os.environ[env] for var, env in (("charting_outcomes_path", "SMARTPICK_CHARTING_OUTCOMES_CSV"),
                                                 ("img_match_rates_path", "SMARTPICK_MATCH_RATES_CSV"))
           if os.environ.get(env)}
    for path in own.values():
        if not Path(path).is_file():
            raise dg.Failure(f"reference table {path} does not exist", allow_retries=False)
    return ["--vars", json.dumps(own)] if own else []


def dbt_resource() -> DbtCliResource:
    # The dbt installed beside this Python, so a bare `.venv/bin/python` works without PATH set.
    local = Path(sys.executable).parent / "dbt"
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=str(local) if local.exists() else "dbt")
