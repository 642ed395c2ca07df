"""Every rule file's own table of cases, run through the whole extractor (document model included)."""
import pytest

from scrapers.extract import extract_facts
from scrapers.facts import FIELDS, assertions, attempts, clinical, ecfmg, graduation, imgs, scores, visa

RULE_FILES = (visa, scores, attempts, graduation, clinical, ecfmg, imgs)
CASES = [pytest.param(text, expected, id=f"{mod.__name__.rsplit('.', 1)[-1]}:{text[:48]}")
         for mod in RULE_FILES for text, expected in mod.CASES]


@pytest.mark.parametrize("text,expected", CASES)
def test_rule_case(text, expected):
    got = extract_facts(text, is_html=False).as_json()
    for field, value in expected.items():
        assert got[field] == value, (field, got["evidence"].get(field), got.get("conflicts"))
        if value is not None:
            assert got["confidence"][field] in ("stated", "inferred")


@pytest.mark.parametrize("clause,context,true_flags,false_flags", assertions.CASES, ids=[c[0][:40] for c in assertions.CASES])
def test_assertion_case(clause, context, true_flags, false_flags):
    got = assertions.classify(clause, context)
    for flag in true_flags:
        if flag == "steps":
            continue
        assert getattr(got, flag), flag
    for flag in false_flags:
        assert not getattr(got, flag), flag
    if isinstance(true_flags, dict) and "steps" in true_flags:
        assert set(got.steps) == set(true_flags["steps"])


def test_cases_cover_every_fact():
    covered = {f for mod in RULE_FILES for _, expected in mod.CASES for f in expected}
    assert covered == set(FIELDS)


def test_conflicting_statements_leave_the_fact_null_with_both_sentences():
    got = extract_facts("Graduates within 3 years are eligible and must apply by October.\n"
                        "Applicants must have graduated within the past 6 years.", is_html=False).as_json()
    assert got["yog_max_years"] is None
    assert len(got["conflicts"]["yog_max_years"]) == 2


def test_inferred_facts_are_marked_inferred():
    got = extract_facts("Applicants must be U.S. citizens, permanent residents, or hold a J-1 visa.", is_html=False).as_json()
    assert got["sponsors_h1b"] is False and got["confidence"]["sponsors_h1b"] == "inferred"
    got = extract_facts("We do not sponsor H-1B visas.", is_html=False).as_json()
    assert got["confidence"]["sponsors_h1b"] == "stated"


@pytest.mark.parametrize("sentence,clause,expected", assertions.HEDGE_SCOPE_CASES, ids=[c[1][:40] for c in assertions.HEDGE_SCOPE_CASES])
def test_a_hedge_reaches_its_stretch_of_the_sentence(sentence, clause, expected):
    assert assertions.hedged(sentence, clause) is expected


@pytest.mark.parametrize("clause,expected", assertions.NEGATION_CASES, ids=[c[0][:40] for c in assertions.NEGATION_CASES])
def test_a_negation_of_the_applicant_is_not_a_negation_of_the_program(clause, expected):
    assert assertions.program_negated(clause) is expected


@pytest.mark.parametrize("question,expected", assertions.NARROWED_CASES, ids=[c[0][:40] for c in assertions.NARROWED_CASES])
def test_a_question_about_a_narrow_group(question, expected):
    assert assertions.narrowed_question(question) is expected


@pytest.mark.parametrize("sentence,expected", assertions.OTHER_BODY_CASES, ids=[c[0][:40] for c in assertions.OTHER_BODY_CASES])
def test_who_is_speaking(sentence, expected):
    assert assertions.about_other_body(sentence) is expected
