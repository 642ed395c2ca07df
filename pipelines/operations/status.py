"""What a refresh did, in a few lines for the terminal: counts per table and check outcomes."""
from __future__ import annotations

from pathlib import Path

import click


COUNTS = [
    ("ACGME listings", "raw.acgme_listings"),
    ("program pages stored", "raw.pages where source = 'program_site' and content_hash is not null"),
    ("pages with a failed last fetch", "raw.pages where last_error is not null"),
    ("facts extracted", "raw.program_facts"),
    ("programs in dim_programs", "marts.dim_programs"),
    ("programs with features", "marts.fct_program_img_features"),
    ("policy changes recorded", "marts.fct_program_policy_changes"),
    ("applicants stored", "app.applicants"),
    ("profiles in quarantine", "app.applicant_quarantine"),
    ("ranked list versions", "app.list_versions"),
    ("emails sent (all runs)", "app.delivery_ledger where status = 'sent'"),
]
OUTBOX_LABEL = "emails written to the outbox (all runs)"  # no SMTP host: nothing was sent anywhere


def table_counts(con, outbox: bool = False) -> list[tuple[str, int | None]]:
    """`outbox`: mail goes to .eml files (no SMTP host), so a delivered message is written, not sent."""
    out = []
    for label, rel in COUNTS:
        if outbox and label.startswith("emails sent"):
            label = OUTBOX_LABEL
        try:
            out.append((label, con.execute(f"select count(*) from {rel}").fetchone()[0]))
        except Exception:
            out.append((label, None))
    return out


def print_summary(defs, result) -> None:
    from pipelines.resources import resolved, usable_warehouse

    warehouse = usable_warehouse(defs.resources["warehouse"])
    with warehouse.connect() as con:
        click.echo(f"\nRun {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
        for label, n in table_counts(con, outbox=not resolved(defs.resources["smtp"].host)):
            click.echo(f"  {label:40s} {'-' if n is None else n}")
    checks = [e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed = [e.event_specific_data.asset_check_key.name for e in checks if not e.event_specific_data.passed]
    click.echo(f"  checks: {len(checks) - len(failed)} passed, {len(failed)} failed {failed if failed else ''}")
    outbox = Path(resolved(defs.resources["smtp"].outbox_dir))
    reports = Path(resolved(defs.resources["applicants_cfg"].outputs_dir)) / "reports"
    report = next(iter(sorted(reports.glob("*/list-v*.html"))), None)
    email = next(iter(sorted(outbox.glob("*.eml"))), None)
    click.echo("Look next:")
    click.echo(f"  the warehouse   {warehouse.path}  (smartpick sql \"from marts.dim_programs limit 5\")")
    if report:
        click.echo(f"  one list        {report}")
    if email:
        click.echo(f"  one email       {email}  (the outbox, when no SMTP host is set)")
    click.echo("  the Dagster UI  make dev")


def last_refresh_summary(instance, warehouse) -> str:
    """Plain text for `smartpick status`, from the Dagster instance and the warehouse (never personal data)."""
    import dagster as dg

    lines = []
    if Path(warehouse.path).exists():
        with warehouse.connect():  # a damaged or busy warehouse is reported first, whatever the run history says
            pass
    runs = instance.get_runs(filters=dg.RunsFilter(job_name="nightly_refresh"), limit=1)
    if not runs:
        return "No nightly_refresh run recorded in this Dagster instance yet: run `make run` or start the schedule."
    run = runs[0]
    stats = instance.get_run_stats(run.run_id)
    started = stats.start_time and __import__("datetime").datetime.fromtimestamp(stats.start_time).isoformat(timespec="seconds")
    lines.append(f"last nightly_refresh: {run.status.value} (run {run.run_id}, started {started}, "
                 f"{(stats.end_time or 0) - (stats.start_time or 0):.0f} s)")
    checks = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    failed = [e.dagster_event.event_specific_data.asset_check_key.name for e in checks
              if not e.dagster_event.event_specific_data.passed]
    lines.append(f"checks: {len(checks) - len(failed)} passed, {len(failed)} failed" + (f" ({', '.join(failed)})" if failed else ""))
    step_failures = [e.step_key for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)]
    if step_failures:
        lines.append(f"failed steps: {', '.join(step_failures)}")
    with warehouse.connect() as con:
        for label, n in table_counts(con):
            lines.append(f"  {label:34s} {'-' if n is None else n}")
        fails = con.execute("select coalesce(error_kind, 'http ' || status), count(*) from raw.fetch_log "
                            "where run_id = ? and (error is not null) group by 1 order by 2 desc", [run.run_id]).fetchall()
        lines.append("fetch failures this run: " + (", ".join(f"{k} {n}" for k, n in fails) if fails else "none"))
        try:
            ledger = con.execute("select status, count(*) from app.delivery_ledger group by 1 order by 1").fetchall()
            lines.append("deliveries: " + ", ".join(f"{s} {n}" for s, n in ledger))
        except Exception:
            pass
    return "\n".join(lines)
