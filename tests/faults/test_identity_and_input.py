"""Identity and input: one id is one person; hostile or foreign-encoded files neither crash intake
nor store garbage; an SMTP reply lost to a timeout is never sent twice."""
import json

import yaml

from pipelines.applicants import intake as store

from pipelines.operations.erase import erase
from pipelines.publishing.messages import SmtpMailer, deliver
from pipelines.ingest import archive
from tests.conftest import SmtpSink
from tests.scoring.helpers import profile, seeded_warehouse

FROM, OPT_OUT = "SmartPick <lists@smartpick.invalid>", "unsubscribe@smartpick.invalid"


def test_a_reused_id_with_another_email_is_quarantined_not_merged(tmp_path):
    con, db, intake = seeded_warehouse(tmp_path, n=1)
    before = con.execute("select * from app.applicants where applicant_id = 't-000'").fetchall()
    (intake / "impostor.yaml").write_text(yaml.safe_dump(profile(0, name="Someone Else (SAMPLE)", email="other@example.org")))
    counts = store.intake(con, store.intake_files(intake))
    assert counts["quarantined"] == 1
    assert con.execute("select * from app.applicants where applicant_id = 't-000'").fetchall() == before
    (reasons,) = con.execute("select reasons from app.applicant_quarantine where applicant_id = 't-000'").fetchone()
    assert "another email address" in json.loads(reasons)[0]
    # erasing the stored person leaves the other person's held profile alone
    erase(con, "t-000", tmp_path / "outputs")
    assert con.execute("select count(*) from app.applicant_quarantine where applicant_id = 't-000'").fetchone()[0] == 1


def test_a_yaml_alias_bomb_is_refused_and_the_good_profile_beside_it_is_stored(tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    intake = tmp_path / "intake"
    intake.mkdir()
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join('*' + p for p in [chr(ord(c) - 1)] * 9)}]\n" for c in "bcdefghij")
    (intake / "bomb.yaml").write_text(bomb)
    (intake / "good.yaml").write_text(yaml.safe_dump(profile(2)))
    counts = store.intake(con, store.intake_files(intake))
    assert counts["valid"] == 1 and counts["quarantined"] == 1
    (reasons,) = con.execute("select reasons from app.applicant_quarantine").fetchone()
    assert "aliases" in reasons


def test_excel_bom_and_legacy_encoded_csvs_store_the_right_names(tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    intake = tmp_path / "intake"
    intake.mkdir()
    header = "applicant_id,name,email,consent_to_email,target_specialties,graduation_year,ecfmg_status,is_sample\n"
    (intake / "excel.csv").write_bytes(b"\xef\xbb\xbf" + (header + "bom-001,Zoë Ørsted (SAMPLE),zoe@example.org,true,"
                                                          "Internal Medicine,2022,certified,true\n").encode("utf-8"))
    (intake / "legacy.csv").write_bytes((header + "cp-001,José Müller (SAMPLE),jose@example.org,true,"
                                         "Internal Medicine,2022,certified,true\n").encode("cp1252"))
    counts = store.intake(con, store.intake_files(intake))
    assert counts["valid"] == 2 and counts["quarantined"] == 0
    names = dict(con.execute("select applicant_id, name from app.applicants").fetchall())
    assert names == {"bom-001": "Zoë Ørsted (SAMPLE)", "cp-001": "José Müller (SAMPLE)"}


def test_a_reply_lost_to_a_timeout_is_unknown_and_never_resent(tmp_path):
    con, *_ = seeded_warehouse(tmp_path, n=1)
    slow = SmtpSink(delay=2.0)  # accepts the message, but answers after the client gave up
    try:
        report = deliver(con, SmtpMailer("127.0.0.1", slow.port, "none", timeout=0.5), FROM, OPT_OUT)
        assert report.unknown == 1 and report.failed == 0
        assert con.execute("select status from app.delivery_ledger").fetchone()[0] == "unknown"
        again = deliver(con, SmtpMailer("127.0.0.1", slow.port, "none", timeout=5), FROM, OPT_OUT)
        assert again.sent == 0  # before: "failed", so this run resent it (a second copy if the first arrived)
        assert len(slow.messages) <= 1
    finally:
        slow.controller.stop()
