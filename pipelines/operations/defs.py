"""Operations stage: the nightly and per-applicant jobs, the schedule, the intake sensor and the ops alert,
and the warehouse backup after a successful night."""
import hashlib
import json
from pathlib import Path

import dagster as dg

import warehouse as store
from pipelines import runs
from pipelines.operations import review_queue
from pipelines.operations.triggers import failure_message, profile_fingerprints, selection_config
from pipelines.publishing.defs import email_deliveries
from pipelines.publishing.messages import mailer_for
from pipelines.resources import WRITER_TAGS, ApplicantsResource, OpsResource, SmtpResource, WarehouseResource

nightly_refresh = dg.define_asset_job(
    "nightly_refresh",
    selection=dg.AssetSelection.all(),
    description="Scrape, build the warehouse, check, score and publish: the whole main job.",
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
)

applicant_refresh = dg.define_asset_job(
    "applicant_refresh",
    selection=dg.AssetSelection.groups("scoring", "publishing"),
    description="Score, list, report and email only the applicants named in the run config (intake sensor).",
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
)

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


@dg.sensor(job=applicant_refresh, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Scores and emails just the applicants whose profile files are new or changed.")
def applicant_intake_sensor(context: dg.SensorEvaluationContext, applicants_cfg: ApplicantsResource):
    # a run of this job that was killed outright holds the writer slot and its place in the run queue:
    # freed here, so the run this tick requests can start (the daemon's run queue would wait forever)
    try:
        instance = context.instance
    except dg.DagsterInvariantViolationError:  # a bare test context has no instance
        instance = None
    if instance is not None:
        for run_id in runs.free_dead_runs(instance):
            context.log.warning(f"freed the writer slot of run {run_id[:8]}, whose process no longer exists")
    current = profile_fingerprints(Path(applicants_cfg.intake_dir))
    if not context.cursor:
        # first start: what is already in the folder is the nightly job's; only later changes trigger runs
        context.update_cursor(json.dumps(current))
        return dg.SkipReason(f"started from the current intake folder ({len(current)} profiles); watching for changes")
    seen = json.loads(context.cursor)
    changed = sorted(k for k, h in current.items() if seen.get(k) != h)
    if not changed:
        return dg.SkipReason("no new or changed profiles")
    context.update_cursor(json.dumps(current))
    ids = [k for k in changed if "#" not in k]
    run_key = hashlib.sha256(json.dumps({k: current[k] for k in changed}, sort_keys=True).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=run_key, run_config=selection_config(ids), tags={"smartpick/trigger": "intake"})


@dg.run_failure_sensor(name="ops_alert_on_failure", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Emails the ops address with the run link and the failing step.")
def ops_alert_on_failure(context: dg.RunFailureSensorContext, smtp: SmtpResource, ops: OpsResource):
    mailer_for(smtp).send(failure_message(context, smtp, ops.dagster_url), f"ops-alert-{context.dagster_run.run_id}")


@dg.asset(key=["outputs", "warehouse_backup"], group_name="operations", owners=["team:data-ops"], kinds={"duckdb"},
          deps=[email_deliveries], pool="duckdb_writer",
          description="After a successful nightly run, a copy of the warehouse file in data/backups/ (the newest "
                      "`backups_kept` copies are kept): the file to restore if the warehouse is ever damaged.")
def warehouse_backup(warehouse: WarehouseResource):

    with warehouse.lock():
        con = store.connect(warehouse.path, check=True)
        con.execute("checkpoint")  # the write-ahead log folded into the file before it is copied
        con.close()
        path = store.backup(warehouse.path, warehouse.backups_kept)
    kept = len(list(store.backups_dir(warehouse.path).glob(f"{Path(warehouse.path).stem}-*.duckdb")))
    # the copies there are, not the configured most: two nights in, two copies of "keep 3"
    return dg.MaterializeResult(metadata={"backup": str(path) if path else "none", "copies_kept": kept,
                                          "copies_kept_at_most": warehouse.backups_kept})


@dg.asset(key=["review", "fact_queue"], group_name="operations", owners=["team:data-ops"], kinds={"duckdb"},
          deps=[dg.AssetKey(["app", "program_scores"]), dg.AssetKey(["intermediate", "int_program_facts_reviewed"])],
          check_specs=[dg.AssetCheckSpec("high_impact_facts_reviewed_in_time", asset=["review", "fact_queue"],
                                         description="Warns when a fact deciding several applicants' outcomes has waited "
                                                     "for review longer than the configured days (SMARTPICK_REVIEW_MAX_DAYS).")],
          description="The facts to check by hand, ranked by how many applicants' outcomes rest on them "
                      "(`smartpick facts queue` prints it): its size and oldest high-impact fact, no applicant named.")
def fact_queue(warehouse: WarehouseResource, ops: OpsResource):
    import datetime as dt

    with warehouse.connect() as con:
        summary = review_queue.summary(con, ops.review_high_impact)
    oldest = summary["oldest_high_impact"]
    days = None if oldest is None else (dt.datetime.now(dt.timezone.utc) - oldest["waiting_since"]).days
    meta = {"facts_to_check": summary["facts_to_check"], "high_impact_facts": summary["high_impact"],
            "oldest_high_impact_fact": "none" if oldest is None else f"{oldest['program_id']} {oldest['fact']}",
            "oldest_high_impact_applicants": 0 if oldest is None else oldest["applicants"],
            "oldest_high_impact_days": -1 if days is None else days}
    yield dg.MaterializeResult(metadata=meta)
    yield dg.AssetCheckResult(check_name="high_impact_facts_reviewed_in_time", passed=days is None or days <= ops.review_max_days,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"oldest_days": -1 if days is None else days, "allowed_days": ops.review_max_days})


def definitions(cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TZ) -> dg.Definitions:
    return dg.Definitions(assets=[warehouse_backup, fact_queue], jobs=[nightly_refresh, applicant_refresh],
                          schedules=[nightly_schedule(cron, timezone)], sensors=[applicant_intake_sensor, ops_alert_on_failure])
