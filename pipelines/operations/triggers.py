"""What the sensors (defs.py) act on: fingerprints of the intake folder, the run config naming the applicants
whose profiles changed, and the ops alert for a failed run."""
import hashlib
from email.message import EmailMessage
from pathlib import Path

import dagster as dg

from pipelines.applicants import intake as store
from pipelines.resources import SmtpResource

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


