"""One residents classifier: the dbt unit test `residents_classified_awkward_names` (run by `dbt build`)
states what int_residents_classified gives for awkward school names; scrapers/residents.py must give
the same, from the same seeds."""
from pathlib import Path

import yaml

from scrapers.residents import classify_school

MODELS = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "intermediate" / "_intermediate__models.yml"


def _unit_test():
    tests = yaml.safe_load(MODELS.read_text())["unit_tests"]
    return next(t for t in tests if t["name"] == "residents_classified_awkward_names")


def test_python_classifies_the_dbt_unit_tests_names_as_dbt_does():
    test = _unit_test()
    rows = next(g["rows"] for g in test["given"] if g["input"] == "ref('stg_program_sites__rosters')")
    names = {r["roster_position"]: r["medical_school"] for r in rows}
    expected = {r["roster_position"]: r["school_origin"] for r in test["expect"]["rows"]}
    assert set(names) == set(expected) and len(names) >= 8
    assert {pos: classify_school(names[pos]) for pos in names} == expected


def test_a_us_state_holding_a_country_name_is_not_that_country():
    assert classify_school("University of New Mexico School of Medicine") == "us_ca"  # "Mexico" is in the state's name
    assert classify_school("Universidad Autonoma de Guadalajara, Mexico") == "img"
    assert classify_school("State University of New York at Buffalo") == "us_ca"  # dbt said unknown before
