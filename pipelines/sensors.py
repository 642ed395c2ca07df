"""Sensors: new or changed applicant profiles, and failed runs (an email to the ops address)."""
import hashlib
import json
from email.message import EmailMessage
from pathlib import Path

import dagster as dg

from pipelines import applicants as store
from pipelines import stopping
from pipelines.jobs import applicant_refresh
from pipelines.resources import ApplicantsResource, OpsResource, SmtpResource

SCORING_ASSET_OPS = ["app__program_scores", "app__ranked_lists", "outputs__applicant_reports", "outputs__email_deliveries"]


def profile_fingerprints(folder: Path) -> dict[str, str]:
    """applicant_id (or file#index for a profile without one) -> hash of its raw content."""
    out = {}
    for path in store.intake_files(folder):
        for i, (raw, parsed) in enumerate(store.read_profiles(path)):
            key = parsed.get("applicant_id") if isinstance(parsed, dict) and parsed.get("applicant_id") else f"{path.name}#{i}"
            out[str(key)] = hashlib.sha256(raw.encode()).hexdigest()
    return out


def selection_config(applicant_ids: list[str]) -> dict:
    cfg = {"config": {"everyone": False, "applicant_ids": sorted(applicant_ids)}}
    return {"ops": {op: cfg for op in SCORING_ASSET_OPS}}


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
        for run_id in stopping.free_dead_runs(instance):
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


def failure_message(context: dg.RunFailureSensorContext, smtp: SmtpResource, dagster_url: str) -> EmailMessage:
    run = context.dagster_run
    failures = context.get_step_failure_events()
    steps = sorted({e.step_key for e in failures if e.step_key})
    errors = "\n".join(f"- {e.step_key}: {(e.step_failure_data.error.message or '').strip().splitlines()[0][:300]}"
                       for e in failures if e.step_failure_data and e.step_failure_data.error)
    msg = EmailMessage()
    msg["Subject"] = f"[SmartPick] run failed: {run.job_name}"
    msg["From"] = smtp.from_addr
    msg["To"] = smtp.ops_address
    msg.set_content(
        f"Job: {run.job_name}\nRun: {run.run_id}\nLink: {dagster_url.rstrip('/')}/runs/{run.run_id}\n"
        f"Failing step(s): {', '.join(steps) or 'run-level failure'}\n\n"
        f"{context.failure_event.message or ''}\n{errors}\n\n"
        "Nothing was published from this run past the failing step. Rerun from the failure in the Dagster UI.\n")
    return msg


@dg.run_failure_sensor(name="ops_alert_on_failure", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Emails the ops address with the run link and the failing step.")
def ops_alert_on_failure(context: dg.RunFailureSensorContext, smtp: SmtpResource, ops: OpsResource):
    smtp.mailer().send(failure_message(context, smtp, ops.dagster_url), f"ops-alert-{context.dagster_run.run_id}")
