"""Scoring stage: scores per applicant and program, versioned ranked lists.

Runs either for everyone (the nightly job) or for the applicants a sensor names in the run config.
Metadata carries counts only: no names, emails or scores.
"""
import dagster as dg

from pipelines.applicants.defs import applicants
from pipelines.progress import progress_bar
from pipelines.resources import ApplicantSelection, WarehouseResource
from pipelines.scoring import score as scoring


@dg.asset(key=["app", "program_scores"], group_name="scoring", owners=["team:applicant-success"],
          kinds={"sql", "duckdb"}, pool="duckdb_writer",
          deps=[applicants, dg.AssetKey(["marts", "fct_program_img_features"]), dg.AssetKey(["marts", "dim_specialties"]),
                dg.AssetKey(["marts", "fct_program_img_friendliness"]), dg.AssetKey(["marts", "dim_programs"])],
          description="Every applicant against every program of their target specialties: the visa route, gates "
                      "and open questions as codes with evidence, three outcomes (listed / ask first / excluded), the "
                      "pooled-variance specialty chance with its range, tier; and what would open the most programs. "
                      "See docs/scoring.md.")
def program_scores(context: dg.AssetExecutionContext, config: ApplicantSelection, warehouse: WarehouseResource):
    params = scoring.ScoringParams.for_today()
    with warehouse.connect() as con, progress_bar("scoring passes", total=1 + len(scoring.OPENERS)) as bar:
        changed = scoring.changed_inputs(con, params)
        # everyone: whoever's inputs changed (profile, their specialties' programs, the model); named: those
        ids = changed if config.everyone else list(config.applicant_ids)
        counts = scoring.score(con, params, ids, progress=bar)
        scoring.mark_scored(con, ids)
        total = con.execute("select count(*) from app.applicants").fetchone()[0]
    return dg.MaterializeResult(metadata={"applicants_scored": counts["applicants"], "pairs": counts["pairs"],
                                          "applicants_unchanged": total - len(ids),
                                          "excluded_pairs": counts.get("gated_pairs", 0),
                                          "ask_first_pairs": counts.get("ask_first_pairs", 0)})


@dg.asset(key=["app", "ranked_lists"], group_name="scoring", owners=["team:applicant-success"], kinds={"sql", "duckdb"},
          deps=[program_scores], pool="duckdb_writer",
          description="Per applicant and specialty, a list balanced across reach / target / safety, stored as "
                      "versioned rows; a new version only when the list changed.")
def ranked_lists(context: dg.AssetExecutionContext, config: ApplicantSelection, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        due = scoring.lists_due(con)  # scored since their list was last built; nobody else can have changed
        counts = scoring.build_lists(con, due)
        scoring.mark_listed(con, due)
        rows = con.execute("select count(*) from app.ranked_lists").fetchone()[0]
    return dg.MaterializeResult(metadata={"new_list_versions": counts["new_list_versions"], "dagster/row_count": rows})


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[program_scores, ranked_lists])
