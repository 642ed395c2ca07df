"""End to end: the real job materializes raw tables, dbt marts and checks against the sample web."""
import os
import stat

import pytest

from pipelines.warehouse.dbt import DBT_PROJECT, parse_cache_path
from sample_web.generate import FACT_FIELDS, SampleWeb
from tests.operations.helpers import RefreshedWeb, materialized, query, run_job

pytestmark = pytest.mark.e2e  # runs the whole job, or Dagster runs of it: `pytest -m 'not e2e'` for the quick suite


@pytest.fixture
def first_run(refreshed):
    """(server, db, instance, defs, the first run's result): this test's copy of the shared warehouse after
    one good nightly run of SampleWeb(SIZE, SEED), and its own Dagster instance for further runs."""
    return refreshed.server, refreshed.db, refreshed.instance, refreshed.defs, refreshed.first.result


def test_dbt_assets_carry_row_counts_groups_and_described_columns(first_run, refreshed):
    import dagster as dg

    _, db, _, defs, _ = first_run
    instance = refreshed.first.instance  # the first run's events
    for key, table in ((["marts", "dim_programs"], "marts.dim_programs"), (["staging", "stg_acgme__listings"], "staging.stg_acgme__listings"),
                       (["reference", "fact_catalogue"], "reference.fact_catalogue")):
        event = instance.get_latest_materialization_event(dg.AssetKey(key))
        meta = event.asset_materialization.metadata
        assert meta["dagster/row_count"].value == query(db, f"select count(*) from {table}")[0][0]
        assert meta["dagster/column_schema"].schema.columns
    graph = defs.resolve_asset_graph()
    groups = {graph.get(dg.AssetKey(k)).group_name for k in (["staging", "stg_acgme__listings"], ["intermediate", "int_program_rosters"],
                                                            ["marts", "dim_programs"], ["reference", "us_states"])}
    assert groups == {"staging", "intermediate", "marts", "reference"}
    # persist_docs: the descriptions analysts read in the YAML are in DuckDB too
    comment = query(db, "select comment from duckdb_columns() where schema_name = 'marts' and table_name = 'dim_programs' "
                        "and column_name = 'sponsors_h1b_confidence'")[0][0]
    assert comment and "inferred" in comment


def test_first_refresh_fills_raw_and_marts(first_run, refreshed):
    server, db, _, _, result = first_run
    assert result.success
    done = materialized(result)
    assert {"raw/acgme_listings", "raw/pages", "raw/program_facts", "marts/dim_programs",
            "marts/fct_program_img_features", "marts/dim_specialties", "marts/fct_program_policy_changes"} <= done
    assert query(db, "select count(*) from marts.dim_programs")[0][0] == RefreshedWeb.SIZE
    assert query(db, "select count(*) from raw.program_facts")[0][0] > 50
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    # dbt's parse state is kept beside the warehouse the run wrote for its next run; the run's artefacts went with it
    first_db = refreshed.first.db
    assert parse_cache_path(str(first_db)).is_file()
    assert not [d for d in DBT_PROJECT.project_dir.joinpath("target").glob("warehouse_models-*")
                if d.stat().st_mtime >= first_db.stat().st_ctime - 300]


def test_j1_only_program_has_both_flags_with_evidence(first_run):
    server, db, *_ = first_run
    rows = query(db, """select program_id, sponsors_j1, sponsors_h1b, sponsors_j1_evidence, sponsors_j1_source_url
                        from marts.dim_programs where sponsors_j1 and sponsors_h1b = false""")
    assert rows, "the sample web has J-1-only programs"
    truth = {p.program_id: p.facts for p in server.web.programs}
    for pid, j1, h1b, evidence, url in rows:
        assert truth[pid]["sponsors_j1"] is True and truth[pid]["sponsors_h1b"] is False
        assert evidence and url.startswith(server.url)


def test_marts_agree_with_ground_truth(first_run):
    server, db, *_ = first_run
    cols = ", ".join(FACT_FIELDS)
    got = {r[0]: dict(zip(FACT_FIELDS, r[1:])) for r in query(db, f"select program_id, {cols} from marts.dim_programs")}
    wrong = [(pid, f, p.facts[f], got[pid][f]) for p in server.web.programs for pid in [p.program_id]
             for f in FACT_FIELDS if got[pid][f] is not None and got[pid][f] != p.facts[f]]
    stated = sum(1 for p in server.web.programs for f in FACT_FIELDS if p.facts[f] is not None)
    found = sum(1 for pid in got for f in FACT_FIELDS if got[pid][f] is not None)
    assert not wrong
    assert found >= 0.95 * stated


def test_imgs_share_counts_rosters(first_run):
    server, db, *_ = first_run
    rows = query(db, "select program_id, residents_listed, residents_img, residents_unknown from marts.fct_program_img_features "
                     "where residents_listed is not null")
    truth = {p.program_id: p for p in server.web.programs}
    assert rows
    for pid, listed, img, unknown in rows:
        assert (listed, img, unknown) == (truth[pid].residents_listed, truth[pid].residents_img, truth[pid].residents_unknown)


def test_rerun_is_idempotent_and_policy_changes_appear(first_run):
    server, db, instance, defs, _ = first_run
    before = query(db, "select count(*) from raw.program_facts")[0][0]
    again = run_job(defs, instance)
    assert again.success
    assert query(db, "select count(*) from raw.program_facts")[0][0] == before
    assert query(db, "select count(*) from marts.fct_program_policy_changes")[0][0] == 0

    server.set_epoch(2)
    changed = run_job(defs, instance)
    assert changed.success
    old = {p.program_id: p.facts for p in SampleWeb(RefreshedWeb.SIZE, RefreshedWeb.SEED, 1).programs}
    new = {p.program_id: p.facts for p in server.web.programs}
    true_changes = {(pid, f) for pid in new for f in FACT_FIELDS if old[pid][f] != new[pid][f]}
    rows = query(db, "select program_id, fact_name, old_value, new_value, evidence_sentence from marts.fct_program_policy_changes")
    assert rows, f"expected changes among {true_changes}"
    for pid, fact, old_value, new_value, evidence in rows:
        assert (pid, fact) in true_changes
        if new_value is not None:
            assert evidence


def test_volume_drop_blocks_downstream(first_run, tmp_path):
    server, db, instance, defs, _ = first_run
    programs_before = query(db, "select count(*) from marts.dim_programs")[0][0]
    server.replace(SampleWeb(RefreshedWeb.SIZE // 2, RefreshedWeb.SEED, server.web.epoch))  # half the programs vanish: a broken scrape
    result = run_job(defs, instance)
    done = materialized(result)
    checks = {e.event_specific_data.asset_check_key.name: e.event_specific_data.passed
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert checks["listings_volume"] is False
    assert "raw/acgme_listings" in done
    assert "raw/pages" not in done and "marts/dim_programs" not in done
    assert query(db, "select count(*) from marts.dim_programs")[0][0] == programs_before


def test_dbt_docs_generate_succeeds(first_run, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    server, db, *_ = first_run
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    dbt = str(Path(sys.executable).parent / "dbt")
    env = {**os.environ, "SMARTPICK_DUCKDB": str(db)}
    res = subprocess.run([dbt, "docs", "generate", "--profiles-dir", str(project), "--target-path", str(tmp_path / "t")],
                         cwd=project, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:]
    assert (tmp_path / "t" / "catalog.json").exists()


def test_readme_analyst_queries_run_as_written(first_run):
    import re
    from pathlib import Path

    server, db, *_ = first_run
    readme = (Path(__file__).resolve().parents[2] / "docs" / "analysts.md").read_text()  # the README points there
    section = readme.split("## For analysts", 1)[1].split("\n## ", 1)[0]
    queries = re.findall(r"```sql\n(.*?)```", section, re.S)
    assert len(queries) >= 6
    for q in queries:
        query(db, q)  # raises on any error
    # the IMG-share query keeps programs with an unknown roster apart instead of dropping them
    (h1b_query,) = [q for q in queries if "IMG share unknown" in q]
    rows = query(db, h1b_query)
    expected = query(db, """select count(*) filter (where f.img_share > 0.30), count(*) filter (where f.img_share is null)
                            from marts.dim_programs d join marts.fct_program_img_features f using (program_id)
                            where d.specialty_name = 'Internal Medicine' and d.census_region = 'Northeast' and d.sponsors_h1b""")[0]
    assert [sum(r[0] == "over 30% IMG residents" for r in rows), sum(r[0] == "IMG share unknown" for r in rows)] == list(expected)
    assert all(r[4] and r[5] for r in rows)  # every row carries the sentence and the page


def test_reference_figures_load_from_a_user_supplied_path(first_run, tmp_path):
    import csv
    import json
    import subprocess
    import sys
    from pathlib import Path

    server, db, *_ = first_run
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    rows = list(csv.DictReader((project / "seeds" / "nrmp_charting_outcomes_2026_non_us_img.csv").open()))
    for r in rows:
        if r["specialty"] == "Pediatrics":
            r["img_matched"], r["img_not_matched"] = "100", "300"
    own = tmp_path / "my_charting_outcomes.csv"
    with own.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(db).read_bytes())
    env = {**os.environ, "SMARTPICK_DUCKDB": str(copy)}
    dbt = str(Path(sys.executable).parent / "dbt")
    res = subprocess.run([dbt, "build", "--profiles-dir", str(project), "--select", "+dim_specialties",
                          "--vars", json.dumps({"charting_outcomes_path": str(own)})],
                         cwd=project, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:]
    assert query(copy, "select img_match_rate from marts.dim_specialties where specialty_name = 'Pediatrics'")[0][0] == 0.25


def test_every_column_an_analyst_reads_carries_its_description(first_run):
    """dbt writes the YAML descriptions into DuckDB (persist_docs): staging, intermediate and marts alike,
    and the app.program_scores view; an analyst sees them in duckdb_columns()."""
    import duckdb

    server, db, *_ = first_run
    con = duckdb.connect(str(db), read_only=True)
    try:
        missing = con.execute("select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
                              "where schema_name in ('staging', 'intermediate', 'marts') and comment is null").fetchall()
        documented = con.execute("select count(distinct schema_name) from duckdb_columns() "
                                 "where schema_name in ('staging', 'intermediate', 'marts') and comment is not null").fetchone()[0]
    finally:
        con.close()
    assert documented == 3 and missing == [], missing[:20]
