"""The one Definitions object of the SmartPick code location: each stage's defs.py, in data-flow order,
merged with the resources."""
from __future__ import annotations

import dagster as dg

from pipelines.applicants import defs as applicants
from pipelines.ingest import defs as ingest
from pipelines.operations import defs as operations
from pipelines.publishing import defs as publishing
from pipelines.resources import (applicants_from_env, ops_from_env, schedule_settings, scrape_from_env, smtp_from_env,
                                 warehouse_from_env)
from pipelines.scoring import defs as scoring
from pipelines.warehouse import defs as warehouse
from pipelines.warehouse.dbt import dbt_resource

STAGES = (ingest, warehouse, applicants, scoring, publishing)


def build_definitions(**resource_overrides) -> dg.Definitions:
    """Tests and the CLI pass resources (a loopback sample web, a temporary DuckDB file) here."""
    resources = {"scrape": scrape_from_env(), "warehouse": warehouse_from_env(), "dbt": dbt_resource(),
                 "applicants_cfg": applicants_from_env(), "smtp": smtp_from_env(), "ops": ops_from_env()}
    resources.update(resource_overrides)
    return dg.Definitions.merge(*(stage.definitions() for stage in STAGES), operations.definitions(*schedule_settings()),
                                dg.Definitions(resources=resources))


defs = build_definitions()
