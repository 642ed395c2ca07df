"""The Great Expectations suites pass on good rows and fail, naming the expectation, on bad ones."""
from expectations.suites import validate
from pipelines.ingest import archive


def test_listings_suite_catches_a_malformed_program_number(tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    con.execute("insert into raw.acgme_listings (program_id, program_name, state, specialty_code, approved_positions) "
                "values ('1400512345', 'Sample Program (SAMPLE)', 'TX', '140', 12)")
    assert validate("raw_listings", con).success
    con.execute("insert into raw.acgme_listings (program_id, program_name, state, specialty_code, approved_positions) "
                "values ('14005', 'Broken Row (SAMPLE)', 'TX', '140', 12)")
    res = validate("raw_listings", con)
    assert not res.success
    assert ("expect_column_values_to_match_regex", "program_id", 1) in res.failures


def test_facts_suite_rejects_out_of_domain_scores(tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    con.execute("insert into raw.program_facts values ('1400512345', 'http://x/a', 'h', 'step2ck_min', '230', 'Step 2 CK 230 minimum.', now(), 'stated')")
    assert validate("raw_program_facts", con).success
    con.execute("insert into raw.program_facts values ('1400512345', 'http://x/a', 'h', 'max_attempts', '9', 'nine attempts', now(), 'stated')")
    res = validate("raw_program_facts", con)
    assert not res.success and res.failures[0][1] == "value_num"
