"""Publishing stage: per-applicant CSV and HTML reports, then email through the delivery ledger."""
from pathlib import Path

import dagster as dg

from pipelines.publishing import messages as publishing
from pipelines.progress import progress_bar
from pipelines.resources import ApplicantSelection, ApplicantsResource, SmtpResource, WarehouseResource
from pipelines.scoring.defs import ranked_lists


@dg.asset(key=["outputs", "applicant_reports"], group_name="publishing", owners=["team:applicant-success"],
          kinds={"python", "csv", "html"}, deps=[ranked_lists], pool="duckdb_writer",
          description="outputs/reports/<applicant_id>/list-v<N>.csv and .html for each applicant's latest list, and "
                      "the message the email step sends, built here on every core and staged beside them.")
def applicant_reports(context: dg.AssetExecutionContext, config: ApplicantSelection, warehouse: WarehouseResource,
                      applicants_cfg: ApplicantsResource, smtp: SmtpResource):
    import os

    workers = applicants_cfg.report_workers or os.cpu_count() or 1
    with warehouse.connect() as con:  # the workers stage messages against the ledger, even on the first run
        publishing.ensure_ledger(con)
    with warehouse.lock():  # no writer while the workers read
        n = publishing.write_reports_parallel(warehouse.path, Path(applicants_cfg.outputs_dir), config.ids(), workers,
                                              report_to=smtp.ops_address, memory_limit=warehouse.memory_limit or None,
                                              mail=(smtp.from_addr, smtp.opt_out_address))
    return dg.MaterializeResult(metadata={"reports_written": n, "workers": workers})


@dg.asset(key=["outputs", "email_deliveries"], group_name="publishing", owners=["team:applicant-success"],
          kinds={"python", "email"}, deps=[applicant_reports], pool="duckdb_writer",
          retry_policy=dg.RetryPolicy(max_retries=1, delay=60),
          description="One email per applicant and list version, recorded in app.delivery_ledger; unchanged lists "
                      "are not sent again, failed sends are retried on the next run.")
def email_deliveries(context: dg.AssetExecutionContext, config: ApplicantSelection, warehouse: WarehouseResource,
                     smtp: SmtpResource, applicants_cfg: ApplicantsResource):
    with warehouse.connect() as con, progress_bar("emails") as bar:
        report = publishing.deliver(con, publishing.mailer_for(smtp), smtp.from_addr, smtp.opt_out_address, config.ids(), bar,
                                    reports=Path(applicants_cfg.outputs_dir) / "reports", report_to=smtp.ops_address)
    if report.failed:
        context.log.warning(f"{report.failed} send(s) failed; they are retried on the next run")
    if report.unknown:
        context.log.warning(f"{report.unknown} send(s) interrupted by an earlier crash are marked 'unknown' "
                            "in app.delivery_ledger and not resent automatically")
    return dg.MaterializeResult(metadata={"sent": report.sent, "sent_staged": report.sent_staged,
                                          "failed": report.failed, "unknown": report.unknown,
                                          "skipped_no_consent": report.skipped_no_consent,
                                          "skipped_erased": report.skipped_erased})


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[applicant_reports, email_deliveries])
