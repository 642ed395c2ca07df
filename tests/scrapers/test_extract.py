"""Extraction rules on one-phrasing fixtures, the whole sample web, and the real development pages."""
import json
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


@pytest.mark.skipif(not (REAL / "labels.jsonl").exists(), reason="shared/real_pages not present")
@pytest.mark.parametrize("joiner", ["\n", " "], ids=["lines-kept", "lines-joined"])
def test_real_pages_precision(joiner):
    """The whole development set, wrapped in minimal HTML as the outside evaluation does."""
    precision, recall, misses, _ = score(real_page_pairs(REAL, joiner=joiner))
    print(f"real pages: precision {precision:.3f} recall {recall:.3f}")
    assert precision >= 0.92, [m for m in misses if m[0] == "wrong"]
    assert recall >= 0.75, [m for m in misses if m[0] == "missed"]


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
