"""Tiers count named signals (gates.SIGNALS): one signal improving never makes a tier worse."""
import datetime as dt
import itertools

import duckdb
import pytest

from pipelines.scoring.gates import SIGNALS
from pipelines.scoring.score import MACROS, ScoringParams
from tests.scoring.mini_marts import scored

RANK = {"reach": 0, "target": 1, "safety": 2}
PARAMS = ScoringParams(match_year=2027, rank_deadline=dt.date(2027, 3, 4), training_start=dt.date(2027, 7, 1),
                       h1b_step3_deadline=dt.date(2027, 4, 1))
BASE = {"sponsors_j1": True, "sponsors_h1b": True, "accepts_imgs": True, "step2ck_min": None, "max_attempts": 2,
        "yog_max_years": 10, "usce_required": False, "ecfmg_required_by": "start", "residents_img": 5, "residents_us_ca": 5,
        "approved_positions": 12}


def test_the_tier_rule_never_falls_when_a_signal_improves():
    con = duckdb.connect()
    con.execute(MACROS)
    n = len(SIGNALS)
    for ups, downs in itertools.product(range(n + 1), repeat=2):
        if ups + downs > n:
            continue
        tier = lambda u, d: RANK[con.execute("select smartpick_tier(?, ?, ?)", [u, d, PARAMS.safety_signals]).fetchone()[0]]  # noqa: E731
        now = tier(ups, downs)
        if downs:  # a signal against turns neutral, or for
            assert tier(ups, downs - 1) >= now and tier(ups + 1, downs - 1) >= now
        if ups + downs < n:  # a neutral signal turns for
            assert tier(ups + 1, downs) >= now


# each signal from against (or neutral) to for, the rest of the program unchanged
@pytest.mark.parametrize("signal, worse, better, profile", [
    ("roster", {"residents_img": 0, "residents_us_ca": 20}, {"residents_img": 10, "residents_us_ca": 10}, {}),
    ("floor", {"step2ck_min": 248}, {"step2ck_min": 230}, {"step2ck_score": 250}),
    ("visa", {"sponsors_j1": None}, {"sponsors_j1": True}, {"visa_need": "j1"}),
    ("size", {"approved_positions": 2}, {"approved_positions": 30}, {}),
])
def test_a_program_with_one_signal_better_is_never_in_a_worse_tier(tmp_path, signal, worse, better, profile):
    # the two programs differ only in this signal; a third of median size keeps the specialty's median between them
    programs = [{**BASE, **worse}, {**BASE, **better}, {**BASE, "approved_positions": 12}]
    _, _, res = scored(tmp_path, programs, params=PARAMS, **profile)
    (w, wt, *_), (b, bt, *_) = res["1400500000"], res["1400500001"]
    assert b == "listed", res
    if w == "listed":
        assert RANK[bt] >= RANK[wt], (signal, wt, bt)


def test_a_program_with_every_signal_for_is_safety_and_one_against_keeps_it_from_safety(tmp_path):
    good = {**BASE, "step2ck_min": 220, "residents_img": 10, "residents_us_ca": 10, "approved_positions": 30}
    programs = [good, {**good, "residents_img": 0, "residents_us_ca": 20}, {**BASE, "approved_positions": 12}]
    _, _, res = scored(tmp_path, programs, params=PARAMS, visa_need="j1", step2ck_score=250)
    assert res["1400500000"][1] == "safety"
    assert res["1400500001"][1] != "safety"
