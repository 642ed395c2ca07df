"""The one Definitions object of the SmartPick code location."""
from __future__ import annotations

import dagster as dg

from pipelines.assets import ingest, publishing, scoring, warehouse
from pipelines.checks import ALL_CHECKS
from pipelines.resources import applicants_from_env, scrape_from_env, smtp_from_env, warehouse_from_env

nightly_refresh = dg.define_asset_job(
    "nightly_refresh",
    selection=dg.AssetSelection.all(),
    description="Scrape, build the warehouse, check, score and publish: the whole main job.",
    executor_def=dg.in_process_executor,
    tags={"dagster/concurrency_key": "duckdb_writer"},
)


def build_definitions(**resource_overrides) -> dg.Definitions:
    """Tests and the CLI pass resources (a loopback sample web, a temporary DuckDB file) here."""
    resources = {"scrape": scrape_from_env(), "warehouse": warehouse_from_env(), "dbt": warehouse.dbt_resource(),
                 "applicants_cfg": applicants_from_env(), "smtp": smtp_from_env()}
    resources.update(resource_overrides)
    return dg.Definitions(
        assets=[ingest.acgme_listings, ingest.acgme_report_rows, ingest.pages, ingest.program_facts,
                warehouse.warehouse_models, scoring.applicants, scoring.program_scores, scoring.ranked_lists,
                publishing.applicant_reports, publishing.email_deliveries],
        asset_checks=ALL_CHECKS,
        jobs=[nightly_refresh],
        resources=resources,
    )


defs = build_definitions()
