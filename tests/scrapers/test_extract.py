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
