"""The one Definitions object of the SmartPick code location."""
from __future__ import annotations

import dagster as dg

from pipelines.assets import ingest, publishing, scoring, warehouse
from pipelines import jobs, schedules, sensors
from pipelines.checks import ALL_CHECKS
from pipelines.resources import (applicants_from_env, ops_from_env, schedule_settings, scrape_from_env, smtp_from_env,
                                 warehouse_from_env)

def build_definitions(**resource_overrides) -> dg.Definitions:
    """Tests and the CLI pass resources (a loopback sample web, a temporary DuckDB file) here."""
    resources = {"scrape": scrape_from_env(), "warehouse": warehouse_from_env(), "dbt": warehouse.dbt_resource(),
                 "applicants_cfg": applicants_from_env(), "smtp": smtp_from_env(), "ops": ops_from_env()}
    resources.update(resource_overrides)
    return dg.Definitions(
        assets=[ingest.acgme_listings, ingest.acgme_report_rows, ingest.pages, ingest.program_facts,
                warehouse.warehouse_models, scoring.applicants, scoring.program_scores, scoring.ranked_lists,
                publishing.applicant_reports, publishing.email_deliveries, publishing.warehouse_backup],
        asset_checks=ALL_CHECKS,
        jobs=[jobs.nightly_refresh, jobs.applicant_refresh, jobs.crawl_by_state],
        schedules=[schedules.nightly_schedule(*schedule_settings())],
        sensors=[sensors.applicant_intake_sensor, sensors.ops_alert_on_failure],
        resources=resources,
    )


defs = build_definitions()
