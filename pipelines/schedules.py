"""The nightly refresh schedule: 02:00 America/New_York unless SMARTPICK_NIGHTLY_CRON / SMARTPICK_TIMEZONE say otherwise."""
import os

import dagster as dg

from pipelines.jobs import nightly_refresh

DEFAULT_CRON, DEFAULT_TZ = "0 2 * * *", "America/New_York"


def nightly_schedule(cron: str | None = None, timezone: str | None = None) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_refresh_schedule",
        job=nightly_refresh,
        cron_schedule=cron or os.environ.get("SMARTPICK_NIGHTLY_CRON", DEFAULT_CRON),
        execution_timezone=timezone or os.environ.get("SMARTPICK_TIMEZONE", DEFAULT_TZ),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Nightly: scrape, dbt build, checks, score, publish.",
    )
