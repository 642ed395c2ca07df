"""Everything that lists the facts derives from the catalogue: these fail while a copy drifts."""
from pathlib import Path

import yaml

from scrapers.extract import extract_facts
from scrapers.facts import catalogue
from scrapers.facts.catalogue import CATALOGUE, FIELDS

DBT = Path(__file__).resolve().parents[2] / "dbt_project"


def test_dbt_seed_and_macro_are_written_from_the_catalogue():
    assert catalogue.SEED.read_text() == catalogue.seed_csv(), "run: python -m scrapers.facts.catalogue --write"
    assert catalogue.MACRO.read_text() == catalogue.macro_sql(), "run: python -m scrapers.facts.catalogue --write"
    assert catalogue.PIVOTED_DOCS.read_text() == catalogue.pivoted_docs_yml(), "run: python -m scrapers.facts.catalogue --write"


def test_snapshot_checks_every_fact():
    snap = yaml.safe_load((DBT / "snapshots" / "snap_program_facts.yml").read_text())
    assert snap["snapshots"][0]["config"]["check_cols"] == list(FIELDS)


def test_intermediate_accepted_values_list_every_fact():
    text = (DBT / "models" / "intermediate" / "_intermediate__models.yml").read_text()
    doc = yaml.safe_load(text)
    found = [t["accepted_values"]["arguments"]["values"] for m in doc["models"] for c in m.get("columns", [])
             for t in c.get("data_tests", c.get("tests", [])) if isinstance(t, dict) and "accepted_values" in t and c["name"] == "fact_name"]
    assert found and all(v == list(FIELDS) for v in found)


def test_extractor_output_has_exactly_the_catalogue_fields():
    got = extract_facts("<p>We sponsor J-1 visas only.</p>").as_json()
    assert [k for k in got if k in FIELDS] == list(FIELDS)


def test_every_fact_has_words_for_people():
    for spec in CATALOGUE:
        assert spec.label and spec.question.endswith("?")
        if spec.kind == "boolean":
            assert spec.true_text and spec.false_text
        assert spec.describe(None).endswith("not stated")
