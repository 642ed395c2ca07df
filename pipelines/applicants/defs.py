"""Applicants stage: the profiles in the intake folder, stored or quarantined with their reasons.
Metadata carries counts only: no names, emails or scores."""
import dagster as dg

from pipelines.applicants import intake as applicant_store
from pipelines.resources import ApplicantsResource, WarehouseResource


@dg.asset(key=["app", "applicants"], group_name="scoring", owners=["team:applicant-success"], kinds={"python", "duckdb"},
          pool="duckdb_writer",
          description="Applicant profiles from the intake folder, validated against the documented schema; "
                      "invalid ones are kept whole in app.applicant_quarantine with the reason for each bad field.")
def applicants(context: dg.AssetExecutionContext, applicants_cfg: ApplicantsResource, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        counts = applicant_store.intake(con, applicant_store.intake_files(applicants_cfg.intake_dir))
        total = con.execute("select count(*) from app.applicants").fetchone()[0]
        quarantined = con.execute("select count(*) from app.applicant_quarantine").fetchone()[0]
    if counts["quarantined"]:
        context.log.warning(f"{counts['quarantined']} profile(s) quarantined; see app.applicant_quarantine")
    return dg.MaterializeResult(metadata={"dagster/row_count": total, "new": counts["valid"], "updated": counts["updated"],
                                          "quarantined_this_run": counts["quarantined"], "files_read": counts["files_read"],
                                          "quarantined_total": quarantined, "skipped_erased": counts["skipped_erased"]})


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[applicants])
