"""One bad profile never stops the others: every file, and every CSV row, is read and validated on its
own; a message that cannot be built is that message's failure. Each case here crashed intake or
sending before its handling, and the profiles beside it were never stored, scored or emailed."""
import datetime as dt
import json

import pytest
import yaml

from pipelines.applicants import intake as store
from pipelines.scoring import score as scoring
from pipelines.publishing.messages import OutboxMailer, deliver
from pipelines.ingest import archive
from tests.scoring import mini_marts
from tests.scoring.helpers import profile, seeded_warehouse

FROM, OPT_OUT = "SmartPick <lists@smartpick.invalid>", "unsubscribe@smartpick.invalid"
GOOD = 10


def _csv(rows: list[dict]) -> str:
    cols = list(rows[0])
    return ",".join(cols) + "\n" + "".join(",".join(f'"{r[c]}"' for c in cols) + "\n" for r in rows)


def _bad_files(intake):
    """One bad file of each kind; the CSV also holds one good row after the bad one."""
    (intake / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (intake / "deep.yaml").write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    nested = {"applicant_id": "nest-1"}
    for _ in range(40):
        nested = {"x": nested}
    (intake / "nested.json").write_text(json.dumps(nested))
    flat = {k: (";".join(v) if isinstance(v, list) else v) for k, v in profile(90).items()}
    long_row = {**flat, "applicant_id": "t-091", "email": "p91@example.org", "name": "x" * (130 * 1024)}
    (intake / "sheet.csv").write_text(_csv([long_row, flat]))
    (intake / "intl.yaml").write_text(yaml.safe_dump(profile(92, email="\u00e9ve@ex\u00e4mple.org")))
    (intake / "header.yaml").write_text(yaml.safe_dump(profile(93, name="=?utf-8?q?Eve=0D=0ABcc:_spy@evil.example?=")))
    (intake / "future.yaml").write_text(yaml.safe_dump(profile(94, graduation_year=dt.date.today().year + 8)))


def test_a_folder_with_bad_files_stores_scores_and_emails_every_good_profile(tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    mini_marts.build(con, [{"sponsors_j1": True, "accepts_imgs": True}, {"sponsors_j1": True, "accepts_imgs": True, "state": "NY"}])
    intake = tmp_path / "intake"
    intake.mkdir()
    for i in range(GOOD):
        (intake / f"good{i:02d}.yaml").write_text(yaml.safe_dump(profile(i)))
    _bad_files(intake)
    counts = store.intake(con, store.intake_files(intake))
    stored = {r[0] for r in con.execute("select applicant_id from app.applicants").fetchall()}
    assert stored == {f"t-{i:03d}" for i in range(GOOD)} | {"t-090"}  # the ten, and the good CSV row after the bad one
    assert counts["quarantined"] == 7
    reasons = " | ".join(r[0] for r in con.execute("select reasons from app.applicant_quarantine").fetchall())
    for said in ("nested deeper than", "longer than 10,000 characters", "cannot be sent to", "must be one line", "is later than"):
        assert said in reasons, said
    ids = sorted(stored)
    params = scoring.ScoringParams.for_today()
    scoring.score(con, params, ids)
    scoring.build_lists(con, ids, params)
    report = deliver(con, OutboxMailer(tmp_path / "outbox"), FROM, OPT_OUT)
    assert report.sent == len(ids) and report.failed == 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == len(ids)


@pytest.mark.parametrize("field,value,said", [
    ("email", "\u00e9ve@ex\u00e4mple.org", "cannot be sent to"),
    ("name", "=?utf-8?q?Eve=0D=0ABcc:_spy@evil.example?=", "must be one line"),
    ("name", "Eve\u2028Bcc: spy@evil.example", "must be one line"),
    ("graduation_year", 2099, "is later than"),
    ("ecfmg_expected_date", "2090-01-01", "is not between"),
])
def test_a_profile_no_message_could_carry_is_quarantined_with_its_reason(tmp_path, field, value, said):
    con = archive.connect(tmp_path / "w.duckdb")
    intake = tmp_path / "intake"
    intake.mkdir()
    (intake / "p.yaml").write_text(yaml.safe_dump(profile(1, **{field: value})))
    assert store.intake(con, store.intake_files(intake))["quarantined"] == 1
    (reasons,) = con.execute("select reasons from app.applicant_quarantine").fetchone()
    assert said in json.loads(reasons)[0] and json.loads(reasons)[0].startswith(field)


def test_a_domain_in_another_script_is_kept_in_its_ascii_form():
    got, reasons = store.validate_profile(profile(1, email="eve@ex\u00e4mple.org"))
    assert reasons == [] and got.email == "eve@xn--exmple-cua.org"


def test_a_message_that_cannot_be_built_is_failed_with_its_reason_and_the_others_are_sent(tmp_path):
    con, db, intake = seeded_warehouse(tmp_path, n=4)
    # an address stored before intake checked it (an older warehouse): no mail path can carry it
    con.execute("update app.applicants set email = 'b\u00e9d@ex\u00e4mple.org' where applicant_id = 't-001'")
    report = deliver(con, OutboxMailer(tmp_path / "outbox"), FROM, OPT_OUT)
    assert report.sent == 3 and report.failed == 1
    assert sorted(p.name for p in (tmp_path / "outbox").glob("*.eml")) == ["t-000-v1.eml", "t-002-v1.eml", "t-003-v1.eml"]
    status, error = con.execute("select status, last_error from app.delivery_ledger where applicant_id = 't-001'").fetchone()
    assert status == "failed" and error.startswith("message could not be built") and "xn--" not in error and "@" not in error
