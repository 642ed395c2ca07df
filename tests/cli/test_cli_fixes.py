"""CLI defects a newcomer met: each test failed before its fix."""
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import commands as cli
from tests.scoring.helpers import seeded_warehouse

ROOT = Path(__file__).resolve().parents[2]


def test_sql_reads_the_warehouse_named_by_smartpick_duckdb(tmp_path, monkeypatch):
    con, db, _ = seeded_warehouse(tmp_path, n=2)
    con.close()
    monkeypatch.setenv("SMARTPICK_DUCKDB", str(db))
    res = CliRunner().invoke(cli.main, ["sql", "select count(*) as n from app.applicants"])
    assert res.exit_code == 0, res.output
    assert res.output.split()[-1] == "2"


def test_rank_says_an_empty_list_is_empty_not_missing(tmp_path, monkeypatch):
    con, db, _ = seeded_warehouse(tmp_path, n=2)
    con.execute("delete from app.ranked_lists where applicant_id = 't-001'")  # version 1 exists and holds no program
    con.close()
    monkeypatch.setenv("SMARTPICK_DUCKDB", str(db))
    res = CliRunner().invoke(cli.main, ["rank", "t-001"])
    assert res.exit_code == 0 and "List version 1 for t-001 holds no program" in res.output, res.output
    missing = CliRunner().invoke(cli.main, ["rank", "t-404"])
    assert missing.exit_code != 0 and "no ranked list" in missing.output
    wrong_version = CliRunner().invoke(cli.main, ["rank", "t-000", "--version", "7"])
    assert wrong_version.exit_code != 0 and "no ranked list" in wrong_version.output


@pytest.mark.parametrize("args", [[], ["applicants"], ["sample-web"]], ids=["top", "applicants", "sample-web"])
def test_every_help_screen_has_an_example(args):
    res = CliRunner().invoke(cli.main, [*args, "--help"])
    assert res.exit_code == 0 and "Example: smartpick" in res.output


def test_make_dev_takes_a_port():
    res = subprocess.run(["make", "-n", "dev", "PORT=3123"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "MAKEFLAGS": ""})
    assert "-p 3123" in res.stdout, res.stdout + res.stderr


def test_the_run_summary_says_written_to_the_outbox_when_no_smtp_host(tmp_path):
    from pipelines.operations.status import table_counts

    con, db, _ = seeded_warehouse(tmp_path, n=1)
    labels = [label for label, _ in table_counts(con, outbox=True)]
    assert "emails written to the outbox (all runs)" in labels and not any(label.startswith("emails sent") for label in labels)
    assert any(label.startswith("emails sent") for label, _ in table_counts(con))


def test_the_backup_step_reports_the_copies_there_are(tmp_path):
    import dagster as dg

    from pipelines.operations.defs import warehouse_backup
    from pipelines.resources import WarehouseResource

    con, db, _ = seeded_warehouse(tmp_path, n=1)
    con.close()
    result = dg.materialize([warehouse_backup], resources={"warehouse": WarehouseResource(path=str(db), backups_kept=3)},
                            selection=[warehouse_backup.key])
    meta = result.asset_materializations_for_node(warehouse_backup.op.name)[0].metadata
    assert meta["copies_kept"].value == 1 and meta["copies_kept_at_most"].value == 3


def test_every_column_of_the_view_analysts_query_has_a_comment(tmp_path):
    con, db, _ = seeded_warehouse(tmp_path, n=1)
    from pipelines.scoring import score as scoring

    scoring.ensure_schema(con)
    cols = con.execute("select column_name, comment from duckdb_columns() where schema_name = 'app' "
                       "and table_name = 'program_scores'").fetchall()
    assert cols and all(comment for _, comment in cols), [c for c, comment in cols if not comment]


def test_the_usce_opener_says_the_months_the_scorer_uses():
    import dataclasses

    from pipelines.publishing import wording
    from pipelines.scoring.score import ScoringParams

    months = next(f.default for f in dataclasses.fields(ScoringParams) if f.name == "usce_months_variant")
    assert f"with {months} months" in wording.OPENERS["usce"]
