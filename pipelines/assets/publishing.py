"""Publishing stage: per-applicant CSV and HTML reports, then email through the delivery ledger."""
from pathlib import Path

import dagster as dg

from pipelines import publishing
from pipelines.progress import progress_bar
from pipelines.assets.scoring import ApplicantSelection, _ids, ranked_lists
from pipelines.resources import ApplicantsResource, SmtpResource, WarehouseResource


@dg.asset(key=["outputs", "applicant_reports"], group_name="publishing", owners=["team:applicant-success"],
          kinds={"python", "csv", "html"}, deps=[ranked_lists], pool="duckdb_writer",
          description="outputs/reports/<applicant_id>/list-v<N>.csv and .html for each applicant's latest list.")
def applicant_reports(context: dg.AssetExecutionContext, config: ApplicantSelection, warehouse: WarehouseResource,
                      applicants_cfg: ApplicantsResource):
    with warehouse.connect() as con:
        ids = _ids(config)
        if ids is None:
            ids = [r[0] for r in con.execute("select distinct applicant_id from app.list_versions").fetchall()]
        n = publishing.write_reports(con, Path(applicants_cfg.outputs_dir), ids)
    return dg.MaterializeResult(metadata={"reports_written": n})


@dg.asset(key=["outputs", "email_deliveries"], group_name="publishing", owners=["team:applicant-success"],
          kinds={"python", "email"}, deps=[applicant_reports], pool="duckdb_writer",
          retry_policy=dg.RetryPolicy(max_retries=1, delay=60),
          description="One email per applicant and list version, recorded in app.delivery_ledger; unchanged lists "
                      "are not sent again, failed sends are retried on the next run.")
def email_deliveries(context: dg.AssetExecutionContext, config: ApplicantSelection, warehouse: WarehouseResource,
                     smtp: SmtpResource, applicants_cfg: ApplicantsResource):
    with warehouse.connect() as con, progress_bar("emails") as bar:
        report = publishing.deliver(con, smtp.mailer(), smtp.from_addr, smtp.opt_out_address, _ids(config), bar,
                                    reports=Path(applicants_cfg.outputs_dir) / "reports")
    if report.failed:
        context.log.warning(f"{report.failed} send(s) failed; they are retried on the next run")
    if report.unknown:
        context.log.warning(f"{report.unknown} send(s) interrupted by an earlier crash are marked 'unknown' "
                            "in app.delivery_ledger and not resent automatically")
    return dg.MaterializeResult(metadata={"sent": report.sent, "failed": report.failed, "unknown": report.unknown,
                                          "skipped_no_consent": report.skipped_no_consent,
                                          "skipped_erased": report.skipped_erased})


@dg.asset(key=["outputs", "warehouse_backup"], group_name="operations", owners=["team:data-ops"], kinds={"duckdb"},
          deps=[email_deliveries], pool="duckdb_writer",
          description="After a successful nightly run, a copy of the warehouse file in data/backups/ (the newest "
                      "`backups_kept` copies are kept): the file to restore if the warehouse is ever damaged.")
def warehouse_backup(warehouse: WarehouseResource):
    import warehouse as store

    with warehouse.lock():
        con = store.connect(warehouse.path, check=True)
        con.execute("checkpoint")  # the write-ahead log folded into the file before it is copied
        con.close()
        path = store.backup(warehouse.path, warehouse.backups_kept)
    kept = len(list(store.backups_dir(warehouse.path).glob(f"{Path(warehouse.path).stem}-*.duckdb")))
    # the copies there are, not the configured most: two nights in, two copies of "keep 3"
    return dg.MaterializeResult(metadata={"backup": str(path) if path else "none", "copies_kept": kept,
                                          "copies_kept_at_most": warehouse.backups_kept})
