"""Intake reads the folder again only when a file in it changed: 10,000 unchanged profiles cost 3 s
of YAML and validation a night otherwise. Counts stay what they were; erasure and order still hold."""
import yaml

from pipelines.applicants import intake as store

from pipelines.operations.erase import erase
from tests.scoring.helpers import profile, seeded_warehouse


def test_an_unchanged_folder_is_not_read_again_and_reports_the_same_counts(tmp_path):
    con, _, intake = seeded_warehouse(tmp_path, n=3)
    (intake / "broken.yaml").write_text("applicant_id: [unclosed\n")
    first = store.intake(con, store.intake_files(intake))
    assert first["files_read"] == 4 and first["quarantined"] == 1 and first["unchanged"] == 3
    again = store.intake(con, store.intake_files(intake))
    assert again["files_read"] == 0
    assert {k: again[k] for k in ("valid", "updated", "unchanged", "quarantined", "skipped_erased")} == \
        {"valid": 0, "updated": 0, "unchanged": 3, "quarantined": 1, "skipped_erased": 0}
    (intake / "t1.yaml").write_text(yaml.safe_dump(profile(1, step2ck_score=251)))  # one file changes: all are read
    changed = store.intake(con, store.intake_files(intake))
    assert changed["files_read"] == 4 and changed["updated"] == 1 and changed["changed_ids"] == ["t-001"]
    assert con.execute("select step2ck_score from app.applicants where applicant_id = 't-001'").fetchone()[0] == 251


def test_a_changed_earlier_file_does_not_win_over_a_later_one(tmp_path):
    con, _, intake = seeded_warehouse(tmp_path, n=0)
    (intake / "a.yaml").write_text(yaml.safe_dump(profile(7, step2ck_score=230)))
    (intake / "b.yaml").write_text(yaml.safe_dump(profile(7, step2ck_score=245)))  # later in order: it wins
    store.intake(con, store.intake_files(intake))
    (intake / "a.yaml").write_text(yaml.safe_dump(profile(7, step2ck_score=233)))
    store.intake(con, store.intake_files(intake))
    assert con.execute("select step2ck_score from app.applicants where applicant_id = 't-007'").fetchone()[0] == 245


def test_after_an_erasure_the_folder_is_read_again_and_the_erased_profile_stays_out(tmp_path):
    con, _, intake = seeded_warehouse(tmp_path, n=2)
    erase(con, "t-000", tmp_path / "outputs")  # its file stays in the folder
    counts = store.intake(con, store.intake_files(intake))
    assert counts["files_read"] == 2 and counts["skipped_erased"] == 1 and counts["unchanged"] == 1
    assert [r[0] for r in con.execute("select applicant_id from app.applicants").fetchall()] == ["t-001"]


def test_a_specialty_named_twice_is_kept_once_in_the_order_first_given():
    """Named twice (in any case), a specialty would give each of its programs two pairs, two list rows and
    a double count in the review queue's impact."""
    from tests.scoring.helpers import profile

    p, errors = store.validate_profile(profile(1, target_specialties=["Pediatrics", "internal medicine", "Internal Medicine", "PEDIATRICS"]))
    assert errors == [] and p.target_specialties == ["Pediatrics", "Internal Medicine"]
