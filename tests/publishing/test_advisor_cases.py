"""Advisor cases: profiles an experienced IMG advisor would bring, run end to end against the sample web.

Each case names the lines the advisor expects to read and the lines they must never see, in the email's
text part, the HTML email, the page and the CSV. The profiles are fictional (SAMPLE) and written here.
One run of the applicant job on a copy of the shared refreshed warehouse serves every case; the tests
only read what it produced.
"""
import csv
import email
import email.policy
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.operations.helpers import run_job

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BASE = {"consent_to_email": True, "step1_result": "pass", "step1_attempts": 1, "step2ck_attempts": 1, "step3_passed": False,
        "graduation_year": 2023, "ecfmg_status": "certified", "usce_months": 4, "usce_kind": "hands_on",
        "program_type_preference": "any", "is_sample": True}

# id: (profile, lines expected in the text part, lines never in it)
CASES = {
    # the six of the review
    "adv-im-j1": ({"target_specialties": ["Internal Medicine"], "visa_need": "j1", "step2ck_score": 245},
                  ["Chance of matching to this specialty: about", "-- Safety", "because for:"],
                  ["chance 7", "% (7", "Why it is on your list"]),
    "adv-barriers": ({"target_specialties": ["Internal Medicine"], "visa_need": "j1", "step2ck_score": 232,
                      "step1_result": "fail", "step1_attempts": 1, "step2ck_attempts": 2, "graduation_year": 2014,
                      "usce_months": 0, "usce_kind": "none"},
                     ["What the figure does not reflect:", "state a limit on attempts;", "state a graduation cutoff;",
                      "state they require it;", "You graduated 13 years before the Match"],
                     ["1 years", "attempt(s)"]),
    "adv-fm-255": ({"target_specialties": ["Family Medicine"], "visa_need": "none", "step2ck_score": 255},
                   ["it will not hold you back where programs screen on scores"],
                   ["your score says nothing", "Step 3", "H-1B"]),
    "adv-h1b-no-step3": ({"target_specialties": ["Internal Medicine"], "visa_need": "h1b", "step2ck_score": 240},
                         ["-- Open with Step 3", "sponsors the H-1B: open to you once USMLE Step 3 is passed by",
                          "You need an H-1B and have not passed USMLE Step 3:"],
                         ["the H-1B needs USMLE Step 3 passed by", "more programs\n"]),
    "adv-neurosurgery": ({"target_specialties": ["Neurological Surgery"], "visa_need": "j1", "step2ck_score": 258},
                         ["SmartPick has no programs of this specialty yet", "A suggestion, not advice:", "matched median"],
                         ["No program is open to you"]),
    "adv-wording": ({"target_specialties": ["Internal Medicine", "Family Medicine"], "visa_need": "j1", "step2ck_score": 236,
                     "graduation_year": 2025},
                    ["How to read it"], ["attempt(s)", "1 years", "1 points", "0 points above", "you needed"]),
    # six more
    "adv-green-card": ({"target_specialties": ["Internal Medicine"], "visa_need": "none", "step2ck_score": 248},
                       ["Chance of matching to this specialty"], ["Step 3", "sponsors the H-1B", "J-1"]),
    "adv-no-score": ({"target_specialties": ["Internal Medicine"], "visa_need": "j1", "step2ck_score": None,
                      "step2ck_attempts": 0},
                     ["Chance of matching to this specialty: about"], ["None%", "your Step 2 CK is None"]),
    "adv-either": ({"target_specialties": ["Internal Medicine"], "visa_need": "either", "step2ck_score": 244},
                   ["Chance of matching to this specialty"], []),
    "adv-observership": ({"target_specialties": ["Pediatrics"], "visa_need": "j1", "step2ck_score": 241,
                          "usce_months": 3, "usce_kind": "observership"},
                         ["You have no hands-on US clinical experience:"], []),
    "adv-small-cohort": ({"target_specialties": ["Internal Medicine/Pediatrics", "Internal Medicine"], "visa_need": "j1",
                          "step2ck_score": 250},
                         ["too few for a percentage"], ["Internal Medicine/Pediatrics (your choice 1) ==\nChance"]),
    "adv-ecfmg-late": ({"target_specialties": ["Emergency Medicine", "Psychiatry"], "visa_need": "j1", "step2ck_score": 243,
                        "ecfmg_status": "pending", "ecfmg_expected_date": "2027-05-15"},
                       ["== Emergency Medicine (your choice 1) ==", "== Psychiatry (your choice 2) =="], []),
}
PERCENT_ALLOWED = ("Chance of matching to this specialty",)


@pytest.fixture(scope="module")
def advised(refreshed_web, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("advisor")
    defs, instance, db = refreshed_web.copy(tmp)
    for aid, (fields, _, _) in CASES.items():
        profile = {**BASE, "applicant_id": aid, "name": f"Advisor Case {aid} (SAMPLE)", "email": f"{aid}@example.org", **fields}
        (tmp / "intake" / f"{aid}.yaml").write_text(yaml.safe_dump(profile))
    config = {"ops": {"app__program_scores": {"config": {"applicant_ids": sorted(CASES)}}}}
    assert run_job(defs, instance, job="applicant_refresh", run_config=config).success
    messages = {}
    for _, rcpts, raw in refreshed_web.sink.messages:
        messages[rcpts[0].split("@")[0]] = email.message_from_bytes(raw, policy=email.policy.default)
    return {"db": db, "tmp": tmp, "messages": messages}


def _parts(msg):
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    attachments = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    page = next(v for k, v in attachments.items() if k.endswith(".html"))
    rows = next(v for k, v in attachments.items() if k.endswith(".csv"))
    return text, html, page, rows if isinstance(rows, str) else rows.decode()


@pytest.mark.parametrize("aid", sorted(CASES))
def test_the_advisor_reads_what_they_expect_and_never_what_they_must_not(advised, aid):
    assert aid in advised["messages"], f"no email for {aid}"
    text, _, _, _ = _parts(advised["messages"][aid])
    _, expected, never = CASES[aid]
    for line in expected:
        assert line in text, (aid, line)
    ours = re.sub(r'"[^"\n]*"', '""', text)  # SmartPick's own words: the pages' sentences quoted are theirs
    for line in never:
        assert line not in ours, (aid, line)


@pytest.mark.parametrize("aid", sorted(CASES))
def test_no_program_line_shows_a_percentage(advised, aid):
    text, html, page, rows = _parts(advised["messages"][aid])
    for line in text.splitlines():
        if "%" in line:
            assert line.startswith(PERCENT_ALLOWED) or "real odds" in line or "percentage" in line, (aid, line)
    # the HTML email's program blocks, the page's table rows, the CSV rows
    for block in re.findall(r'<div style="border:1px [^"]*">(.*?)</div>', html, re.S):
        assert "%" not in re.sub(r"<[^>]+>", "", block), (aid, block[:200])
    for row in re.findall(r'<tr data-i=.*?</tr>', page, re.S):
        visible = re.sub(r"<details>.*?</details>", "", row, flags=re.S)
        assert "%" not in re.sub(r"<[^>]+>", "", visible), (aid, visible[:200])
    table = list(csv.DictReader(io.StringIO(rows)))
    assert not [r for r in table for v in r.values() if v and "%" in v]
    # questions only on the rows to ask first
    assert not [r for r in table if r["ask_the_program"] and r["status"] != "ask first"]


def test_rank_says_a_specialty_with_no_programs_and_suggests_others(advised):
    import os

    env = {**os.environ, "SMARTPICK_DUCKDB": str(advised["db"])}
    res = subprocess.run([sys.executable, "-m", "pipelines.cli", "rank", "adv-neurosurgery"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "Neurological Surgery: SmartPick has no programs of this specialty yet" in res.stdout
    assert "A suggestion, not advice" in res.stdout


def test_the_conditional_route_rows_carry_sponsorship_evidence_and_a_labelled_date(advised):
    text, _, page, _ = _parts(advised["messages"]["adv-h1b-no-step3"])
    section = text.split("-- Open with Step 3", 1)[1].split("\n-- ", 1)[0]
    programs = [line for line in section.splitlines() if line.startswith("* ")]
    assert programs
    sponsorship = [line for line in section.splitlines() if "sponsors the H-1B: open to you" in line]
    assert len(sponsorship) == len(programs)
    assert all('"' in line and "http" in line and "checked " in line for line in sponsorship)
    assert all(("SmartPick's assumption" in block or "its page says Step 3" in block)
               for block in section.split("\n* ")[1:])
    assert "open with Step 3" in page


def test_the_page_carries_the_nrmp_caveat_and_an_ask_first_panel_leads_with_its_questions(advised):
    _, html, page, _ = _parts(advised["messages"]["adv-barriers"])
    assert "real odds are lower" in page and "real odds are lower" in html
    panels = re.findall(r'<tr data-i=.*?</tr>', page, re.S)
    asked = [p for p in panels if 'class="oc-ask_first"' in p]
    assert asked
    for panel in asked:
        assert "Why it is on your list" not in panel
        assert panel.index("Ask before applying") < panel.index("<dl>")  # the questions before the fact list
    # a J-1 applicant's panels leave out the H-1B's facts, which cannot matter to them
    assert not any("H-1B visa sponsorship" in p for p in panels)
    assert all(re.search(r"<dt>J-1 visa<dd>|<span>J-1 visa</span>", p) for p in panels if "<dl>" in p)


def test_excluded_programs_carry_only_their_failed_rule_and_sentences_are_written_once(advised):
    _, _, page, _ = _parts(advised["messages"]["adv-h1b-no-step3"])
    rows = re.findall(r'<tr data-i=.*?</tr>', page, re.S)
    excluded = [r for r in rows if 'class="oc-excluded"' in r]
    others = [r for r in rows if 'class="oc-excluded"' not in r]
    assert excluded and others
    for row in excluded:
        assert "Excluded because:" in row and "<dl>" not in row and "<q>" in row  # no fact list: the rule only
    assert all("<dl>" in row for row in others)
    # one sentence stating two facts is quoted once in a panel
    for row in others:
        quoted = re.findall(r"<q>(.*?)</q>", row.split("<dl>", 1)[-1])
        assert len(quoted) == len(set(quoted)), quoted
