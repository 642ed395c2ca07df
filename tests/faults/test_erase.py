"""Erase only what is yours: exact identity, every bystander's rows and files intact."""
import json

import pytest
import yaml

from pipelines import applicants as store
from pipelines.publishing import OutboxMailer, deliver, write_reports
from scrapers import archive
from tests.scoring.helpers import profile, seeded_warehouse

FROM, OPT_OUT = "SmartPick <lists@smartpick.invalid>", "unsubscribe@smartpick.invalid"


def everything(con, outputs):
    tables = {t: sorted(map(str, con.execute(f"select * from {t}").fetchall()))
              for t in ("app.applicants", "app.applicant_quarantine", "app.list_versions", "app.ranked_lists")}
    files = sorted(str(p.relative_to(outputs)) for p in outputs.rglob("*") if p.is_file())
    return tables, files


def test_an_id_inside_another_word_erases_nobody_else(tmp_path):
    # "mail" is inside the key "email" of every quarantined profile: none of them may go
    con, db, intake = seeded_warehouse(tmp_path, n=3)
    for i in range(3):
        (intake / f"bad{i}.yaml").write_text(yaml.safe_dump({**profile(i), "visa_need": "j9"}))
    (intake / "mail.yaml").write_text(yaml.safe_dump({**profile(9, applicant_id="mail", email="m@example.org"), "visa_need": "j9"}))
    store.intake(con, store.intake_files(intake))
    before = con.execute("select count(*) from app.applicant_quarantine where applicant_id <> 'mail'").fetchone()[0]
    assert before == 3
    store.erase(con, "mail", tmp_path / "outputs")
    assert con.execute("select count(*) from app.applicant_quarantine where applicant_id <> 'mail'").fetchone()[0] == before
    assert con.execute("select count(*) from app.applicant_quarantine where applicant_id = 'mail'").fetchone()[0] == 0


def test_a_short_name_erases_no_one_elses_messages(tmp_path):
    con, db, intake = seeded_warehouse(tmp_path, n=3, name="Li Test (SAMPLE)")  # everyone's name contains "Li"
    outputs = tmp_path / "outputs"
    write_reports(con, outputs, ["t-000", "t-001", "t-002"])
    deliver(con, OutboxMailer(outputs / "outbox"), FROM, OPT_OUT)
    tables_before, files_before = everything(con, outputs)
    store.erase(con, "t-001", outputs)
    tables_after, files_after = everything(con, outputs)
    assert sorted(f for f in files_before if "t-001" not in f) == files_after  # only t-001's files went
    for t in tables_before:
        assert [r for r in tables_before[t] if "'t-001'" not in r] == tables_after[t]


def test_an_id_that_walks_the_file_system_is_refused(tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("not yours")
    intake = tmp_path / "intake"
    intake.mkdir()
    (intake / "evil.json").write_text(json.dumps({**profile(1), "applicant_id": "../../victim"}))
    store.intake(con, [intake / "evil.json"])  # quarantined: the id breaks the pattern
    assert con.execute("select count(*) from app.applicant_quarantine").fetchone()[0] == 1
    with pytest.raises(ValueError, match="not an applicant ID"):
        store.erase(con, "../../victim", tmp_path / "outputs" / "x")
    assert (victim / "keep.txt").read_text() == "not yours"


def test_erase_works_on_a_fresh_warehouse(tmp_path):
    # nothing has run yet: no scores, lists or ledger tables; a quarantined profile is all there is
    con = archive.connect(tmp_path / "w.duckdb")
    intake = tmp_path / "intake"
    intake.mkdir()
    (intake / "p.yaml").write_text(yaml.safe_dump({**profile(4), "visa_need": "j9"}))
    (intake / "q.yaml").write_text(yaml.safe_dump({**profile(5), "visa_need": "j9"}))
    store.intake(con, store.intake_files(intake))
    counts = store.erase(con, "t-004", tmp_path / "outputs")
    assert counts["app.applicant_quarantine"] == 1
    assert [r[0] for r in con.execute("select applicant_id from app.applicant_quarantine").fetchall()] == ["t-005"]
