"""The scorer's rules are declared once (pipelines/scoring/gates.py): code, condition, words, group.

A code spelled anywhere else in Python could drift from its rule (it did: three files named gate codes).
"""
import datetime as dt
import re
from pathlib import Path

import pytest

from pipelines.publishing import wording
from pipelines.scoring import gates
from pipelines.scoring.score import ScoringParams, _judged, _render

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ScoringParams.for_today(dt.date(2026, 12, 6))


def test_no_gate_or_reason_code_is_spelled_outside_the_table():
    codes = {g.code for g in gates.GATES} | {r.code for r in gates.REASONS}
    found = []
    for path in (ROOT / "pipelines").rglob("*.py"):
        if path.name == "gates.py":
            continue
        text = path.read_text()
        found += [(path.name, c) for c in codes if re.search(rf"['\"]{c}['\"]", text)]
    assert not found


def test_every_rule_has_words_a_group_and_a_condition_in_the_scoring_sql():
    sql = _render("scores.sql", PARAMS, **_judged(PARAMS, "app.applicants", evidence=False))
    for g in gates.GATES:
        assert g.group in {"visa", "imgs", "scores", "attempts", "graduation", "experience", "certificate"}
        assert g.heading and g.words("1", "2")
        assert g.sql(PARAMS) in sql
    for a in gates.ASKS:
        assert a.sql(PARAMS) in sql and wording.question(a.fact)
    assert "{" not in sql  # every parameter of a condition was filled


def test_a_rule_dated_by_the_parameters_carries_this_run_s_dates():
    later = ScoringParams.for_today(dt.date(2030, 1, 1))
    assert "2030-03-04" in gates.BY_CODE["ecfmg_rank"].sql(later)
    assert "2027-07-01" in gates.BY_CODE["ecfmg_start"].sql(PARAMS)


@pytest.mark.parametrize("code, a, b, expected, never", [
    ("attempts", "1", "2", "at most 1 attempt per Step", "attempt(s)"),
    ("attempts", "3", "4", "at most 3 attempts per Step", "attempt(s)"),
    ("yog", "1", "2", "graduates of the last 1 year;", "1 years"),
    ("step2_floor", "230", "1", "is 1 point above", "1 points"),
])
def test_exclusion_words_read_naturally(code, a, b, expected, never):
    text = wording.exclusion({"code": code, "a": a, "b": b})
    assert expected in text and never not in text


def test_reason_words_read_naturally():
    assert wording.reason({"code": "step2_above", "a": "0", "b": "230"}) == "your Step 2 CK meets the stated floor (230)"
    assert "1 point above" in wording.reason({"code": "step2_above", "a": "1", "b": "230"})
    assert "attempt(s)" not in wording.reason({"code": "attempts_ok", "a": "2", "b": "1"})


def test_the_usce_opener_names_the_scorer_s_months():
    assert f"{PARAMS.usce_months_variant} months" in wording.OPENERS["usce"]
