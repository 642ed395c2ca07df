"""Extraction rules on one-phrasing fixtures, the whole sample web, and the real development pages."""
import json
import os
from pathlib import Path

import pytest

from bench.score_extraction import real_page_pairs, sample_web_pairs, score
from scrapers.extract import extract_facts, extract_file
from scrapers.facts import FIELDS

FIX = Path(__file__).parent / "fixtures"
REAL = Path(__file__).resolve().parents[3] / "shared" / "real_pages"


def facts(name):
    return extract_file(str(FIX / name))


@pytest.mark.parametrize("name,expected", [
    ("h1b_only_after_step3.html", {"sponsors_j1": True, "sponsors_h1b": True, "requires_step3_for_h1b": True}),
    ("no_h1b_negation.html", {"sponsors_h1b": False, "sponsors_j1": None}),
    ("j1_only_table.html", {"sponsors_j1": True, "sponsors_h1b": False}),
    ("faq_visa_no.html", {"sponsors_h1b": False, "accepts_imgs": True}),
    ("yog_in_words.html", {"yog_max_years": 3}),
    ("yog_soft_preference.html", {"yog_max_years": None}),
    ("step2_roman_numerals.html", {"step2ck_min": 225}),
    ("comlex_not_usmle.html", {"step1_min": None, "step2ck_min": None}),
    ("first_attempt_only.html", {"max_attempts": 1}),
    ("first_attempt_preferred.html", {"max_attempts": None}),
    ("usce_preferred_not_required.html", {"usce_required": False, "usce_min_months": None}),
    ("usce_six_months.html", {"usce_required": True, "usce_min_months": 6}),
    ("ecfmg_by_start.html", {"ecfmg_required_by": "start"}),
    # LABELING.md: an ECFMG certificate requirement is IMG-specific (ECFMG certifies only IMGs)
    ("ecfmg_by_rank.txt", {"ecfmg_required_by": "rank", "accepts_imgs": True}),
    ("no_imgs.html", {"accepts_imgs": False}),
    ("licensure_attempts_limit.txt", {"max_attempts": 3}),
    ("faq_two_questions_one_answer.html", {"accepts_imgs": True}),
    ("faq_q_a_prefix.txt", {"accepts_imgs": True}),
    ("img_requirements_question.html", {"accepts_imgs": True, "ecfmg_required_by": "start"}),
    ("generic_no_but_accepts_j1.html", {"sponsors_j1": True, "sponsors_h1b": False}),
    ("citizens_abbreviation.html", {"sponsors_j1": True, "sponsors_h1b": None}),
])
def test_fixture_phrasings(name, expected):
    got = facts(name)
    for field, value in expected.items():
        assert got[field] == value, (field, got)
        if value is not None:
            assert got["evidence"][field], f"{field} has no evidence sentence"


def test_silent_page_states_nothing():
    got = facts("silent_page.html")
    assert all(got[f] is None for f in FIELDS)
    assert got["evidence"] == {}


def test_residents_roster_counts_imgs_and_unknowns_apart():
    got = extract_facts((FIX / "residents_table.html").read_text())
    assert (got.residents_listed, got.residents_img, got.residents_unknown) == (4, 1, 1)


def test_evidence_carries_url():
    got = extract_facts((FIX / "no_h1b_negation.html").read_text(), url="https://example.org/visa")
    assert got.facts["sponsors_h1b"].url == "https://example.org/visa"
    assert "H-1B" in got.facts["sponsors_h1b"].sentence


def test_whole_default_sample_web_meets_precision_and_recall():
    precision, recall, misses, _ = score(sample_web_pairs(size=300))
    assert precision >= 0.98, misses[:10]
    assert recall >= 0.95, misses[:10]


def _real_pages_or_skip():
    """Under CI the development set must be there: a missing ../shared/real_pages fails, never skips."""
    if (REAL / "labels.jsonl").exists():
        return
    if os.environ.get("CI") or os.environ.get("SMARTPICK_CI"):
        pytest.fail(f"{REAL} is missing: the real-page precision test cannot run")
    pytest.skip("shared/real_pages not present")


@pytest.mark.parametrize("joiner", ["\n", " "], ids=["lines-kept", "lines-joined"])
def test_real_pages_precision(joiner):
    """The whole development set, wrapped in minimal HTML as the outside evaluation does: stated facts
    (the ones that gate) right 97% of the time, all facts 95%, recall 0.80; the check third, never read
    to write rules, at 95% precision and a recall within 0.08 of the working pages'."""
    _real_pages_or_skip()
    working = list(real_page_pairs(REAL, part="working", joiner=joiner))
    check = list(real_page_pairs(REAL, part="check", joiner=joiner))
    precision, recall, misses, _ = score(working + check)
    stated_precision = score(working + check, stated_only=True)[0]
    check_precision, check_recall, _, _ = score(check)
    working_recall = score(working)[1]
    print(f"real pages: precision {precision:.3f} recall {recall:.3f} stated {stated_precision:.3f}; "
          f"check third {check_precision:.3f} / {check_recall:.3f}, working recall {working_recall:.3f}")
    wrong = [m for m in misses if m[0] == "wrong"]
    assert stated_precision >= 0.97, wrong
    assert precision >= 0.95, wrong
    assert recall >= 0.80, [m for m in misses if m[0] == "missed"]
    assert check_precision >= 0.95  # the check third's misses are not shown: no rule is written from them
    assert abs(check_recall - working_recall) <= 0.08


def test_stated_only_scoring_counts_an_inferred_fact_as_not_extracted():
    truth = {"sponsors_h1b": False, "accepts_imgs": True}
    got = {"sponsors_h1b": False, "accepts_imgs": True, "confidence": {"sponsors_h1b": "inferred", "accepts_imgs": "stated"}}
    assert score([(truth, got, "p")])[:2] == (1.0, 1.0)
    assert score([(truth, got, "p")], stated_only=True)[:2] == (1.0, 0.5)


def test_cli_prints_exactly_one_json_object(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "pipelines.cli", "extract", str(FIX / "j1_only_table.html"),
                          "--url", "https://example.org/x"], capture_output=True, text=True, check=True).stdout
    obj = json.loads(out)
    assert set(FIELDS) <= set(obj) and "evidence" in obj and "confidence" in obj
    assert obj["url"] == "https://example.org/x" and obj["confidence"]["sponsors_j1"] == "stated"
    assert obj["sponsors_j1"] is True and obj["evidence"]["sponsors_j1"]
    assert out.strip().count("\n") == 0


def test_cli_rejects_other_file_types(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "page.pdf"
    bad.write_text("x")
    res = subprocess.run([sys.executable, "-m", "pipelines.cli", "extract", str(bad)], capture_output=True, text=True)
    assert res.returncode != 0 and ".html" in res.stderr


def test_triggers_run_on_lowered_text_so_a_capital_in_one_is_refused_and_shouted_pages_still_match():
    from scrapers.extract import _for_lowered

    with pytest.raises(ValueError):
        _for_lowered(r"J-1|\S+visa")
    facts = extract_facts("<html><body><h2>VISA POLICY</h2><p>WE SPONSOR J-1 VISAS ONLY. WE DO NOT SPONSOR H-1B VISAS.</p>"
                          "</body></html>").facts
    assert facts["sponsors_j1"].value is True and facts["sponsors_h1b"].value is False


def _python_hits(probe):
    from scrapers.extract import RULES, TRIGGERS

    return {i for i, rules in enumerate(RULES) if TRIGGERS[rules].search(probe)}


def _re2_hits(probe):
    from scrapers.extract import ANY_TRIGGER

    return set(ANY_TRIGGER.Match(probe) or ())


def test_the_re2_trigger_scan_misses_no_unit_a_python_trigger_matches_on_sample_and_real_pages():
    from sample_web import render
    from sample_web.generate import SampleWeb
    from scrapers import document

    web = SampleWeb(150)
    docs = [document.from_html(render.program_page(p, pg)) for p in web.programs for pg in p.pages]
    docs += [document.from_text(path.read_text(errors="replace")) for path in sorted(REAL.glob("*.txt"))]
    probes = [f"{u.text} {u.context}".lower() for d in docs for u in d.units]
    hit = 0
    for probe in probes:
        wanted = _python_hits(probe)
        assert wanted <= _re2_hits(probe), probe
        hit += bool(wanted)
    assert hit > 500  # the pages do exercise the triggers


@pytest.mark.parametrize("probe", [
    "residents on the j\u20031 only",  # an em space: Python's \s matches it, RE2's ASCII \s does not
    "a step 2 ck score of 2\u0662\u0660 or more",  # Arabic-Indic digits: Python's \d matches them, RE2's does not
    "an exchange\u2003visitor",
])
def test_the_re2_trigger_scan_is_widened_where_python_re_reads_unicode(probe):
    assert _python_hits(probe) and _python_hits(probe) <= _re2_hits(probe)


def test_a_trigger_escape_without_an_re2_widening_is_refused():
    from scrapers.extract import _widened

    assert _widened(r"\bj[\s-]?1") == r"j[\s\pZ\x{85}\x{1c}-\x{1f}-]?1"
    with pytest.raises(ValueError):
        _widened(r"\w+ visa")


def test_an_xhtml_page_that_opens_with_an_xml_declaration_is_read():
    # lxml refuses a decoded str that declares an encoding; such pages used to yield no fact at all
    page = ('<?xml version="1.0" encoding="iso-8859-1"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
            '<html xmlns="http://www.w3.org/1999/xhtml"><body><h2>Visas \u2014 r\u00e9sum\u00e9 help</h2>'
            '<p>We sponsor J-1 visas for our residents.</p></body></html>')
    assert extract_facts(page).facts["sponsors_j1"].value is True


@pytest.mark.parametrize("page", [
    "<p>Q: Do you take international medical graduates?</p><p>A: No, we do not.</p>",
    "<p>Q: Do you take international medical graduates? A: No, we do not.</p>",
], ids=["two-lines", "one-line"])
def test_a_labelled_answer_on_the_question_line_is_read_as_the_answer(page):
    got = extract_facts(f"<html><body>{page}</body></html>").facts
    assert got["accepts_imgs"].value is False


def test_stacked_questions_each_sentence_answers_the_question_its_words_take_up():
    page = ("<html><body><p>Must I be a US citizen or permanent resident to apply? Do you offer J-1 or H-1B visas?</p>"
            "<p>Yes, only US citizens and permanent residents are eligible. We offer neither the J-1 nor the H-1B.</p></body></html>")
    got = extract_facts(page).facts
    # the "Yes" answers the citizenship question, not the visa one
    assert got["sponsors_h1b"].value is False and got["sponsors_j1"].value is False
    assert "Yes" not in got["sponsors_j1"].sentence


def test_a_yes_binds_only_to_a_yes_no_question():
    from scrapers.document import bind_answer

    qs = ["Do you accept IMGs?", "How many of your residents are IMGs?"]
    assert bind_answer(qs, "Yes, a third of our residents.") == qs[0]
    assert bind_answer(["Do you sponsor visas?", "Do residents live nearby?"], "No, we do not require residents to live nearby.") \
        == "Do residents live nearby?"


def test_a_missing_development_set_fails_under_ci(monkeypatch, tmp_path):
    import tests.scrapers.test_extract as me

    monkeypatch.setattr(me, "REAL", tmp_path / "nowhere")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        me._real_pages_or_skip()
    monkeypatch.delenv("CI")
    monkeypatch.delenv("SMARTPICK_CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        me._real_pages_or_skip()


def test_lettered_lines_inside_a_paragraph_are_items_of_the_list_it_introduces():
    page = ("<html><body><p>Suggested criteria include the following:\na. Graduated within the past 4 years\n"
            "b. All steps passed on the first attempt</p></body></html>")
    got = extract_facts(page).as_json()
    assert got["yog_max_years"] is None and got["max_attempts"] is None  # a suggested list states no rule
    page = page.replace("Suggested criteria include", "Applicants must meet")
    got = extract_facts(page).as_json()
    assert got["yog_max_years"] == 4 and got["max_attempts"] == 1


def test_lettered_criteria_run_into_one_line_keep_their_lead():
    page = ("<html><body><p>Suggested criteria include the following: a. Graduated within the past 4 years. "
            "b. All steps passed on the first attempt. c. ECFMG certificate by the match date.</p></body></html>")
    got = extract_facts(page).as_json()
    assert (got["yog_max_years"], got["max_attempts"], got["ecfmg_required_by"]) == (None, None, None)


def test_a_timing_far_from_the_certificate_is_not_its_timing():
    menu = "How to Apply " + " ".join(["Home", "About", "People", "Contact", "Giving", "Patient Care", "Locations"] * 4)
    page = f"<html><body><p>{menu} Applicants hold a valid ECFMG certificate.</p></body></html>"
    assert extract_facts(page).as_json()["ecfmg_required_by"] is None
