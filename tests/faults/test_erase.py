"""Erase only what is yours: exact identity, every bystander's rows and files intact."""
import json

import pytest
import yaml

from pipelines.applicants import intake as store

from pipelines.operations.erase import erase
from pipelines.publishing.messages import OutboxMailer, deliver, write_reports
from pipelines.ingest import archive
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
    erase(con, "mail", tmp_path / "outputs")
    assert con.execute("select count(*) from app.applicant_quarantine where applicant_id <> 'mail'").fetchone()[0] == before
    assert con.execute("select count(*) from app.applicant_quarantine where applicant_id = 'mail'").fetchone()[0] == 0


def test_a_short_name_erases_no_one_elses_messages(tmp_path):
    con, db, intake = seeded_warehouse(tmp_path, n=3, name="Li Test (SAMPLE)")  # everyone's name contains "Li"
    outputs = tmp_path / "outputs"
    write_reports(con, outputs, ["t-000", "t-001", "t-002"])
    deliver(con, OutboxMailer(outputs / "outbox"), FROM, OPT_OUT)
    tables_before, files_before = everything(con, outputs)
    erase(con, "t-001", outputs)
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
    # a profile quarantined for its malformed ID can be erased: from the quarantine, matched exactly, no file touched
    counts = erase(con, "../../victim", tmp_path / "outputs" / "x")
    assert counts["app.applicant_quarantine"] == 1 and counts["files"] == 0
    assert con.execute("select count(*) from app.applicant_quarantine").fetchone()[0] == 0
    assert (victim / "keep.txt").read_text() == "not yours"
    with pytest.raises(ValueError, match="not an applicant ID"):  # a malformed ID nobody carries is refused
        erase(con, "../../victim", tmp_path / "outputs" / "x")


def test_erase_works_on_a_fresh_warehouse(tmp_path):
    # nothing has run yet: no scores, lists or ledger tables; a quarantined profile is all there is
    con = archive.connect(tmp_path / "w.duckdb")
    intake = tmp_path / "intake"
    intake.mkdir()
    (intake / "p.yaml").write_text(yaml.safe_dump({**profile(4), "visa_need": "j9"}))
    (intake / "q.yaml").write_text(yaml.safe_dump({**profile(5), "visa_need": "j9"}))
    store.intake(con, store.intake_files(intake))
    counts = erase(con, "t-004", tmp_path / "outputs")
    assert counts["app.applicant_quarantine"] == 1
    assert [r[0] for r in con.execute("select applicant_id from app.applicant_quarantine").fetchall()] == ["t-005"]


def test_erase_removes_the_message_from_an_outbox_configured_outside_outputs(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    con, db, intake = seeded_warehouse(tmp_path, n=2)
    outputs, outbox = tmp_path / "outputs", tmp_path / "elsewhere" / "mail"
    deliver(con, OutboxMailer(outbox), FROM, OPT_OUT)
    con.close()
    assert sorted(p.name for p in outbox.iterdir()) == ["t-000-v1.eml", "t-001-v1.eml"]
    home = tmp_path / "dh"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "SMARTPICK_DUCKDB": str(db), "SMARTPICK_OUTPUTS_DIR": str(outputs), "SMARTPICK_OUTBOX_DIR": str(outbox),
           "DAGSTER_HOME": str(home)}
    res = subprocess.run([sys.executable, "-m", "pipelines.cli", "applicants", "erase", "t-001"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in outbox.iterdir()) == ["t-000-v1.eml"]  # the bystander's message stays


def test_a_new_person_given_an_erased_persons_id_gets_their_email(tmp_path):
    con, db, intake = seeded_warehouse(tmp_path, n=2)
    outbox = tmp_path / "outbox"
    assert deliver(con, OutboxMailer(outbox), FROM, OPT_OUT).sent == 2
    erase(con, "t-000", tmp_path / "outputs", outbox=outbox)
    for f in intake.glob("t0.yaml"):
        f.unlink()
    (intake / "new.yaml").write_text(yaml.safe_dump(profile(0, name="Someone New (SAMPLE)", email="new.person@example.org")))
    assert store.intake(con, store.intake_files(intake))["valid"] == 1
    con.execute("insert into app.list_versions values ('t-000', 1, 'h2', now(), 1)")  # their first list: version 1 again
    con.execute("insert into app.ranked_lists select * replace ('t-000' as applicant_id) from app.ranked_lists "
                "where applicant_id = 't-001' and list_version = 1")
    report = deliver(con, OutboxMailer(outbox), FROM, OPT_OUT)
    assert report.sent == 1
    import email
    import email.policy

    msg = email.message_from_bytes((outbox / "t-000-v1.eml").read_bytes(), policy=email.policy.default)
    assert msg["To"].addresses[0].addr_spec == "new.person@example.org"


def test_an_upgraded_ledger_sends_no_second_copy_of_a_list_already_sent(tmp_path):
    """A ledger written before the person was in the delivery key: the sent version is not sent again."""
    con, db, intake = seeded_warehouse(tmp_path, n=1)
    assert deliver(con, OutboxMailer(tmp_path / "outbox"), FROM, OPT_OUT).sent == 1
    con.execute("update app.delivery_ledger set delivery_id = 'old-style-key'")
    assert deliver(con, OutboxMailer(tmp_path / "outbox"), FROM, OPT_OUT).sent == 0


def test_erase_rewrites_the_backups_so_a_restore_brings_nobody_back(tmp_path):
    import shutil

    con, db, intake = seeded_warehouse(tmp_path, n=3)
    con.execute("checkpoint")
    con.close()
    made = [archive.backup(db, keep=3), archive.backup(db, keep=3)]
    other = archive.backups_dir(db) / "unrelated-note.txt"
    other.write_text("not a warehouse")
    con = archive.connect(db)
    counts = erase(con, "t-001", tmp_path / "outputs")
    con.close()
    assert counts["backups_rewritten"] == 2
    for backup in made:
        raw = backup.read_bytes()
        assert b"person1@example.org" not in raw and b"Test Person 1 " not in raw  # not even in a freed block
        shutil.copy(backup, db)  # the restore the README describes
        con = archive.connect(db)
        ids = {r[0] for r in con.execute("select applicant_id from app.applicants").fetchall()}
        assert ids == {"t-000", "t-002"}  # the bystanders are restored, the erased person is not
        assert con.execute("select count(*) from app.ranked_lists where applicant_id = 't-001'").fetchone()[0] == 0
        assert con.execute("select count(*) from app.erased_applicants").fetchone()[0] == 1
        con.close()
    assert other.read_text() == "not a warehouse"
