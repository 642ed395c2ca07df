"""The nightly refresh schedule: 02:00 America/New_York unless configured otherwise (definitions-time config)."""
import dagster as dg

from pipelines.jobs import nightly_refresh

DEFAULT_CRON, DEFAULT_TZ = "0 2 * * *", "America/New_York"


def nightly_schedule(cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TZ) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_refresh_schedule",
        job=nightly_refresh,
        cron_schedule=cron,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Nightly: scrape, dbt build, checks, score, publish.",
    )
