"""The dbt project as Dagster runs it: the manifest, the translator, a profile per warehouse file, the parse
cache, and table metadata for each model (the asset itself is in defs.py)."""

import importlib.metadata
import json
import shutil
import subprocess
import sys
from functools import cached_property
from pathlib import Path

import dagster as dg

import yaml
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject
from packaging import version

from pipelines.resources import PROJECT_DIR, WarehouseResource

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR / "dbt_project", profiles_dir=PROJECT_DIR / "dbt_project")
# The dbt installed beside this Python: `dagster dev` started from a shell without `.venv/bin` on
# PATH must find it (DbtProject.prepare_if_dev() would look for a bare `dbt` on PATH).
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


def _ensure_manifest() -> None:
    """`make setup` builds the manifest once; a checkout without it gets one here, from the same dbt."""
    if not DBT_PROJECT.manifest_path.exists():
        subprocess.run([str(DBT_EXECUTABLE if DBT_EXECUTABLE.exists() else "dbt"), "parse", "--profiles-dir", ".", "--quiet"],
                       cwd=DBT_PROJECT.project_dir, check=True)


_ensure_manifest()


class SmartPickTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props) -> str:
        """One group per layer, as analysts think of them: reference seeds, staging, intermediate, marts."""
        kind = dbt_resource_props["resource_type"]
        if kind == "seed":
            return "reference"
        if kind == "snapshot":
            return "snapshots"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 and fqn[1] in ("staging", "intermediate", "marts") else "warehouse"

    def get_owners(self, dbt_resource_props):
        return ["team:analytics"]


def with_table_metadata(con, event, keys_by_output_name: dict):
    """A dbt Output / AssetMaterialization with `dagster/row_count` and `dagster/column_schema` added."""
    if isinstance(event, dg.Output):
        key = keys_by_output_name.get(event.output_name)
    elif isinstance(event, dg.AssetMaterialization):
        key = event.asset_key
    else:
        return event
    path = list(key.path) if key else []
    if len(path) < 2:
        return event
    schema, table = path[0], path[-1]
    cols = con.execute("select column_name, data_type, comment from duckdb_columns() where schema_name = ? and table_name = ? "
                       "order by column_index", [schema, table]).fetchall()
    if not cols:
        return event
    rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    column_schema = dg.TableSchema(columns=[dg.TableColumn(name, kind, description=comment) for name, kind, comment in cols])
    return event.with_metadata({**(event.metadata or {}), "dagster/row_count": dg.MetadataValue.int(rows),
                                "dagster/column_schema": column_schema})


class LocalDbtCli(DbtCliResource):
    """dagster-dbt's resource without its two start-up probes, 8 of the dbt step's seconds on every run:
    `dbt --version` in a subprocess (the version is the installed dbt-core's, pinned in uv.lock) and a
    dbt adapter opened inside the Dagster process, which only dagster-dbt's own row-count and column
    fetchers use (`with_table_metadata` reads both from DuckDB after dbt has released the file)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_for_warehouse(dbt: DbtCliResource, path: str, folder: Path) -> DbtCliResource:
    """The same dbt, with a profile that names this warehouse file."""
    profile = yaml.safe_load((DBT_PROJECT.profiles_dir / "profiles.yml").read_text())
    for output in profile["smartpick"]["outputs"].values():
        output["path"] = str(Path(path).resolve())
    (folder / "profiles.yml").write_text(yaml.safe_dump(profile))
    return LocalDbtCli(project_dir=dbt.project_dir, profiles_dir=str(folder), dbt_executable=dbt.dbt_executable,
                       target=dbt.target, profile=dbt.profile, global_config_flags=dbt.global_config_flags)


def parse_cache_path(warehouse_path: str) -> Path:
    return Path(str(Path(warehouse_path).resolve()) + ".dbt-parse.msgpack")


class parse_cache:
    """dbt's partial-parse state kept beside the warehouse it was made for. dbt re-parses the whole
    project (6 s) whenever the profile differs from the one its saved state was made with, and the
    profile names the warehouse file: one saved state per warehouse lets every later run on the same
    file parse only what changed. The file holds the project's parse state, no warehouse data."""

    def __init__(self, warehouse_path: str, target: Path):
        self.saved, self.target = parse_cache_path(warehouse_path), target

    def __enter__(self):
        self.target.mkdir(parents=True, exist_ok=True)
        if self.saved.exists():
            shutil.copyfile(self.saved, self.target / "partial_parse.msgpack")
        return self

    def __exit__(self, *exc):
        fresh = self.target / "partial_parse.msgpack"
        if fresh.exists():
            tmp = self.saved.with_name(self.saved.name + ".tmp")
            shutil.copyfile(fresh, tmp)
            tmp.replace(self.saved)  # never a half-written state for the next run
        return False


def reference_vars(warehouse: WarehouseResource) -> list[str]:
    """Users may point at their own copy of the NRMP tables (same columns) instead of the shipped seeds."""
    own = {var: path for var, path in (("charting_outcomes_path", warehouse.charting_outcomes_csv),
                                       ("img_match_rates_path", warehouse.match_rates_csv)) if path}
    for path in own.values():
        if not Path(path).is_file():
            raise dg.Failure(f"reference table {path} does not exist", allow_retries=False)
    return ["--vars", json.dumps(own)] if own else []


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=str(DBT_EXECUTABLE) if DBT_EXECUTABLE.exists() else "dbt")
