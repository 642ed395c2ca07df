"""Gate by gate, route by route: given facts and a profile, the outcome and the reason code."""
import datetime as dt

import pytest

from pipelines.scoring.score import ScoringParams
from tests.scoring.mini_marts import scored

KNOWN = {"sponsors_j1": True, "sponsors_h1b": True, "accepts_imgs": True, "step2ck_min": 220, "max_attempts": 2,
         "yog_max_years": 10, "usce_required": False, "ecfmg_required_by": "start"}
PARAMS = ScoringParams(match_year=2027, rank_deadline=dt.date(2027, 3, 4), training_start=dt.date(2027, 7, 1),
                       h1b_step3_deadline=dt.date(2027, 4, 1))


def outcome(tmp_path, facts: dict, **profile):
    _, _, res = scored(tmp_path, [{**KNOWN, **facts}], params=PARAMS, **profile)
    (result,) = res.values()
    return result


@pytest.mark.parametrize("facts,profile,status,code", [
    # visa routes
    ({"sponsors_j1": False}, {"visa_need": "j1"}, "excluded", "visa_j1_closed"),
    ({"sponsors_j1": True}, {"visa_need": "j1"}, "listed", None),
    ({"sponsors_h1b": False}, {"visa_need": "h1b", "step3_passed": True}, "excluded", "visa_h1b_closed"),
    ({"sponsors_h1b": True}, {"visa_need": "h1b", "step3_passed": True}, "listed", None),
    # a sponsor of the H-1B is open once Step 3 is passed in time: a condition, not an exclusion
    ({"sponsors_h1b": True}, {"visa_need": "h1b", "step3_passed": False}, "open_with_step3", None),
    ({"sponsors_h1b": None}, {"visa_need": "h1b", "step3_passed": False}, "ask_first", None),
    ({"sponsors_h1b": True}, {"visa_need": "h1b", "step3_expected_date": "2027-02-01"}, "listed", None),
    ({"sponsors_h1b": True, "requires_step3_for_h1b": True}, {"visa_need": "h1b", "step3_expected_date": "2027-03-20"},
     "open_with_step3", None),  # the program wants it by the rank deadline, 4 March
    ({"sponsors_j1": True, "sponsors_h1b": False}, {"visa_need": "either"}, "listed", None),
    ({"sponsors_j1": False, "sponsors_h1b": True}, {"visa_need": "either", "step3_passed": False}, "open_with_step3", None),
    ({"sponsors_j1": False, "sponsors_h1b": False}, {"visa_need": "either"}, "excluded", "visa_j1_closed"),
    ({"sponsors_j1": None}, {"visa_need": "j1"}, "ask_first", None),
    ({"sponsors_j1": False, "sponsors_h1b": None}, {"visa_need": "either", "step3_passed": True}, "ask_first", None),
    ({"sponsors_j1": False, "sponsors_j1_confidence": "inferred"}, {"visa_need": "j1"}, "ask_first", None),
    ({"sponsors_j1": False}, {"visa_need": "none"}, "listed", None),
    # the other gates
    ({"accepts_imgs": False}, {}, "excluded", "no_imgs"),
    ({"step2ck_min": 245}, {"step2ck_score": 240}, "excluded", "step2_floor"),
    ({"step2ck_min": 230}, {"step2ck_score": None, "step2ck_attempts": 0}, "excluded", "step2_no_score"),
    ({"step1_min": 215}, {"step1_result": 210}, "excluded", "step1_floor"),
    ({"step1_min": 215}, {"step1_result": 225}, "listed", None),
    ({"max_attempts": 1}, {"step2ck_attempts": 2}, "excluded", "attempts"),
    ({"max_attempts": 2}, {"step1_result": "fail", "step1_attempts": 2}, "excluded", "attempts"),  # a failed Step 1 needs a 3rd sitting
    ({"max_attempts": 2}, {"step1_result": "fail", "step1_attempts": 1}, "listed", None),
    ({"yog_max_years": 3}, {"graduation_year": 2020}, "excluded", "yog"),
    ({"usce_required": True}, {"usce_kind": "observership", "usce_months": 3}, "excluded", "usce_none"),
    ({"usce_required": True, "usce_min_months": 6}, {"usce_kind": "hands_on", "usce_months": 3}, "excluded", "usce_months"),
    ({"ecfmg_required_by": "application"}, {"ecfmg_status": "pending", "ecfmg_expected_date": "2026-12-01"}, "excluded", "ecfmg_application"),
    ({"ecfmg_required_by": "rank"}, {"ecfmg_status": "pending", "ecfmg_expected_date": "2027-02-01"}, "listed", None),
    ({"ecfmg_required_by": "rank"}, {"ecfmg_status": "pending", "ecfmg_expected_date": "2027-05-01"}, "excluded", "ecfmg_rank"),
    ({"ecfmg_required_by": "start"}, {"ecfmg_status": "pending", "ecfmg_expected_date": "2027-05-01"}, "listed", None),
    # unknowns that could exclude this applicant: ask first, never a tier
    ({"max_attempts": None}, {"step2ck_attempts": 2}, "ask_first", None),
    ({"max_attempts": None}, {"step2ck_attempts": 1}, "listed", None),
    ({"yog_max_years": None}, {"graduation_year": 2018}, "ask_first", None),
    ({"usce_required": None}, {"usce_kind": "none", "usce_months": 0}, "ask_first", None),
    ({"ecfmg_required_by": None}, {"ecfmg_status": "pending", "ecfmg_expected_date": "2027-01-01"}, "ask_first", None),
])
def test_gate(tmp_path, facts, profile, status, code):
    got_status, tier, gates, asks = outcome(tmp_path, facts, **profile)
    assert got_status == status, (gates, asks)
    if code:
        assert code in gates
    if status == "excluded":
        assert gates and tier is None
    if status == "ask_first":
        assert asks and tier is None and not gates
    if status == "open_with_step3":
        assert tier is None and not gates
    if status == "listed":
        assert tier in ("reach", "target", "safety") and not gates and not asks


def test_unknown_visa_is_asked_about_never_safety(tmp_path):
    # a strong applicant: everything else would make these safety programs
    programs = [{**KNOWN, "sponsors_h1b": None}, {**KNOWN, "sponsors_h1b": True}]
    _, _, res = scored(tmp_path, programs, params=PARAMS, visa_need="h1b", step3_passed=True, step2ck_score=265)
    unknown, known = res["1400500000"], res["1400500001"]
    assert unknown[0] == "ask_first" and unknown[1] is None and unknown[3] == ["sponsors_h1b"]
    assert known[0] == "listed"


def test_roster_without_imgs_is_never_safety(tmp_path):
    programs = [{**KNOWN, "residents_img": 0, "residents_us_ca": 20}, {**KNOWN, "residents_img": 10, "residents_us_ca": 10}]
    _, _, res = scored(tmp_path, programs, params=PARAMS, step2ck_score=270)
    assert res["1400500001"][1] == "safety"
    assert res["1400500000"][1] != "safety"


def test_what_would_open_most_reruns_the_gates(tmp_path):
    # an H-1B applicant without Step 3: the H-1B sponsors are open with Step 3, the others excluded; Step 3 lists
    # the H-1B sponsors, a J-1 the J-1 ones
    programs = [{**KNOWN, "sponsors_j1": True, "sponsors_h1b": True}, {**KNOWN, "sponsors_j1": True, "sponsors_h1b": False},
                {**KNOWN, "sponsors_j1": True, "sponsors_h1b": False}, {**KNOWN, "sponsors_j1": False, "sponsors_h1b": True}]
    con, aid, res = scored(tmp_path, programs, params=PARAMS, visa_need="h1b", step3_passed=False)
    assert sorted(r[0] for r in res.values()) == ["excluded", "excluded", "open_with_step3", "open_with_step3"]
    openers = {c: (n, ask) for c, n, ask in con.execute(
        "select change, programs_opened, programs_ask_first from app.applicant_openers where applicant_id = ?", [aid]).fetchall()}
    assert openers["step3"] == (2, 0) and openers["j1_instead"] == (3, 0)


def test_what_would_open_most_counts_ask_first_apart(tmp_path):
    # Step 3 passed moves a program whose H-1B sponsorship is unknown nowhere (it stays ask first), and one whose
    # attempts limit is unknown to ask first, not to listed
    programs = [{**KNOWN, "sponsors_j1": False, "sponsors_h1b": True, "max_attempts": None},
                {**KNOWN, "sponsors_j1": False, "sponsors_h1b": True}]
    con, aid, res = scored(tmp_path, programs, params=PARAMS, visa_need="h1b", step3_passed=False, step2ck_attempts=2)
    openers = {c: (n, ask) for c, n, ask in con.execute(
        "select change, programs_opened, programs_ask_first from app.applicant_openers where applicant_id = ?", [aid]).fetchall()}
    assert openers["step3"] == (1, 1)
