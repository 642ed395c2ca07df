"""Email through a real SMTP server on 127.0.0.1: arrival, parts, exactly-once, injection, erasure."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from pipelines.applicants import intake as store

from pipelines.operations.erase import erase
from pipelines.publishing import messages as publishing
from pipelines.publishing.messages import OutboxMailer, SmtpMailer, deliver
from tests.conftest import SmtpSink
from tests.scoring.helpers import profile, seeded_warehouse

FROM, OPT_OUT = "SmartPick <lists@smartpick.invalid>", "unsubscribe@smartpick.invalid"


def test_messages_arrive_parse_and_carry_the_csv(tmp_path, smtp_sink):
    con, db, _ = seeded_warehouse(tmp_path)
    report = deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT)
    assert report.sent == 3
    msgs = smtp_sink.parsed()
    assert sorted(m["To"].addresses[0].addr_spec for m in msgs) == [f"person{i}@example.org" for i in range(3)]
    for m in msgs:
        assert "[SAMPLE DATA]" in m["Subject"]
        text = m.get_body(("plain",)).get_content()
        html = m.get_body(("html",)).get_content()
        assert "SAMPLE DATA" in text and "SAMPLE DATA" in html
        assert "Harbor Medical Center" in text and "unsubscribe" in text
        attachments = [p for p in m.iter_attachments()]
        assert [a.get_filename() for a in attachments] == ["smartpick-list-v1.html", "smartpick-list-v1.csv"]
        assert "1400100001" in attachments[0].get_content()
    # nothing changed: nothing is sent again
    again = deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT)
    assert again.sent == 0 and len(smtp_sink.messages) == 3


def test_no_consent_no_email(tmp_path, smtp_sink):
    con, *_ = seeded_warehouse(tmp_path, n=2, consent_to_email=False)
    report = deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT)
    assert report.sent == 0 and report.skipped_no_consent == 2 and not smtp_sink.messages


def test_crlf_and_html_cannot_inject(tmp_path, smtp_sink):
    evil_program = 'Evil <script>alert(1)</script> Program\r\nBcc: victim@example.org'
    con, db, _ = seeded_warehouse(tmp_path, n=1, program_name=evil_program)
    # a name with CR/LF never passes intake ...
    _, errors = store.validate_profile(profile(9, name="Mallory\r\nBcc: victim@example.org"))
    assert any(e.startswith("name:") for e in errors)
    # ... and even if one reached the database, the header stays one line
    con.execute("update app.applicants set name = 'Mallory\r\nBcc: victim@example.org <b>bold</b>'")
    deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT)
    (mail_from, rcpts, raw), = smtp_sink.messages
    assert rcpts == ["person0@example.org"]
    msg = smtp_sink.parsed()[0]
    assert msg["Bcc"] is None
    headers = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "\nBcc:" not in headers
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>bold</b>" not in html


def test_failed_sends_are_retried_next_run(tmp_path):
    con, *_ = seeded_warehouse(tmp_path, n=2)
    refusing = SmtpSink(reject={"person1@example.org"})
    try:
        report = deliver(con, SmtpMailer("127.0.0.1", refusing.port), FROM, OPT_OUT)
        assert (report.sent, report.failed) == (1, 1)
        status = dict(con.execute("select applicant_id, status from app.delivery_ledger").fetchall())
        assert status == {"t-000": "sent", "t-001": "failed"}
    finally:
        refusing.stop()
    accepting = SmtpSink()
    try:
        report = deliver(con, SmtpMailer("127.0.0.1", accepting.port), FROM, OPT_OUT)
        assert (report.sent, report.failed) == (1, 0)
        assert [r for _, r, _ in accepting.messages] == [["person1@example.org"]]
    finally:
        accepting.stop()


CRASHER = """
import sys
from pipelines.publishing.messages import SmtpMailer, deliver
from pipelines.ingest import archive
con = archive.connect(sys.argv[1])
print("started", flush=True)
deliver(con, SmtpMailer("127.0.0.1", int(sys.argv[2])), "SmartPick <l@smartpick.invalid>", "u@smartpick.invalid")
"""


def test_run_killed_mid_batch_then_rerun_sends_no_duplicate(tmp_path):
    con, db, _ = seeded_warehouse(tmp_path, n=8)
    con.close()
    slow = SmtpSink(delay=0.4)
    try:
        proc = subprocess.Popen([sys.executable, "-c", CRASHER, str(db), str(slow.port)],
                                cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE)
        deadline = time.time() + 60
        while len(slow.messages) < 3 and time.time() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # dies mid-batch, probably mid-conversation
        proc.wait()
        before = len(slow.messages)
        assert 3 <= before < 8
        from pipelines.ingest import archive
        con = archive.connect(db)
        report = deliver(con, SmtpMailer("127.0.0.1", slow.port), FROM, OPT_OUT)
        rcpts = [r[0] for _, r, _ in slow.messages]
        assert len(rcpts) == len(set(rcpts)), "someone got two copies"
        assert report.unknown <= 1
        assert len(set(rcpts)) >= 8 - report.unknown
        statuses = [r[0] for r in con.execute("select status from app.delivery_ledger").fetchall()]
        assert statuses.count("sent") + statuses.count("unknown") == 8
    finally:
        slow.stop()


def test_bad_profile_is_quarantined_with_reasons(tmp_path):
    con, db, intake = seeded_warehouse(tmp_path, n=1)
    bad = {"applicant_id": "bad-1", "name": "Bad Profile (SAMPLE)", "email": "nope", "consent_to_email": True,
           "target_specialties": ["Astrology"], "graduation_year": 1800, "visa_need": "j2", "step2ck_score": 999}
    (intake / "bad.json").write_text(json.dumps(bad))
    counts = store.intake(con, store.intake_files(intake))
    assert counts["quarantined"] == 1
    raw, reasons = con.execute("select raw_profile, reasons from app.applicant_quarantine where applicant_id = 'bad-1'").fetchone()
    fields = {r.split(":")[0] for r in json.loads(reasons)}
    assert fields == {"email", "target_specialties", "graduation_year", "visa_need", "step2ck_score"}
    assert json.loads(raw) == bad  # kept whole
    assert con.execute("select count(*) from app.applicants where applicant_id = 'bad-1'").fetchone()[0] == 0


def _holders(con, needles):
    """Every (schema.table) whose rows mention any needle."""
    found = []
    for schema, table in con.execute("select table_schema, table_name from information_schema.tables "
                                     "where table_type = 'BASE TABLE'").fetchall():
        for n in needles:
            if con.execute(f'select count(*) from "{schema}"."{table}" t where contains(lower(t::varchar), lower(?))', [n]).fetchone()[0]:
                found.append(f"{schema}.{table}")
    return found


def test_erase_leaves_no_trace(tmp_path):
    con, db, intake = seeded_warehouse(tmp_path, n=2)
    outputs = tmp_path / "outputs"
    from pipelines.publishing.messages import write_reports
    write_reports(con, outputs, ["t-000", "t-001"])
    deliver(con, OutboxMailer(outputs / "outbox"), FROM, OPT_OUT)
    # the same person also sent a broken profile once
    (intake / "t0-broken.yaml").write_text(yaml.safe_dump({**profile(0), "visa_need": "j9"}))
    store.intake(con, store.intake_files(intake))
    needles = ["Test Person 0 (SAMPLE)", "person0@example.org"]
    assert _holders(con, needles)
    erase(con, "t-000", outputs)
    assert _holders(con, needles) == []
    for f in outputs.rglob("*"):
        if f.is_file():
            body = f.read_bytes()
            assert not any(n.encode() in body for n in needles), f
    assert list((outputs / "outbox").glob("t-001-*"))  # the other applicant is untouched
    # the stale intake file is not imported again, and nobody emails the erased address
    (intake / "t0-broken.yaml").unlink()
    counts = store.intake(con, store.intake_files(intake))
    assert counts["skipped_erased"] == 1
    assert _holders(con, needles) == []


def test_erase_cli_unknown_id_is_a_clear_error(tmp_path):
    env = {**os.environ, "SMARTPICK_DUCKDB": str(tmp_path / "w.duckdb"), "SMARTPICK_OUTPUTS_DIR": str(tmp_path / "o")}
    res = subprocess.run([sys.executable, "-m", "pipelines.cli", "applicants", "erase", "nobody"], env=env,
                         capture_output=True, text=True)
    assert res.returncode != 0 and "no applicant with ID 'nobody'" in res.stderr


def test_an_erased_address_is_never_emailed_again(tmp_path, smtp_sink):
    con, db, intake = seeded_warehouse(tmp_path, n=2)
    erase(con, "t-000", tmp_path / "outputs")
    # the same person is re-created by mistake under another ID, with the same address in other case
    con.execute("insert into app.applicants select * replace ('t-777' as applicant_id, 'PERSON0@example.org' as email) "
                "from app.applicants where applicant_id = 't-001'")
    con.execute("insert into app.list_versions values ('t-777', 1, 'h', now(), 1)")
    report = deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT)
    assert report.skipped_erased == 1
    assert [r for _, r, _ in smtp_sink.messages] == [["person1@example.org"]]


def test_cli_writer_waits_for_the_warehouse_lock(tmp_path):
    from pipelines.resources import WarehouseResource

    db = tmp_path / "w.duckdb"
    env = {**os.environ, "SMARTPICK_DUCKDB": str(db)}
    profile_file = tmp_path / "p.yaml"
    profile_file.write_text(yaml.safe_dump(profile(1)))
    with WarehouseResource(path=str(db)).connect():  # a refresh is writing
        proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "applicants", "add", str(profile_file)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert proc.poll() is None, proc.communicate()  # waiting, not failing on DuckDB's lock
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "stored 1 new" in out, err


def test_a_message_that_cannot_be_built_is_failed_and_the_others_are_sent(tmp_path, smtp_sink, monkeypatch):
    # messages are built on a worker thread ahead of sending: one that cannot be built is that message's
    # failure (recorded with the kind of error, never its values), not the run's, and the rest go out
    con, db, _ = seeded_warehouse(tmp_path, n=3)
    real = publishing.build_message

    def failing(ctx, *args):
        if ctx["applicant_id"] == "t-001":
            raise RuntimeError("template broke")
        return real(ctx, *args)
    monkeypatch.setattr(publishing, "build_message", failing)
    outcome = {}

    def run():
        outcome["report"] = deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT)
    sender = threading.Thread(target=run, daemon=True)
    sender.start()
    sender.join(timeout=60)
    assert not sender.is_alive(), "delivery hung on a message that could not be built"
    assert outcome["report"].sent == 2 and outcome["report"].failed == 1
    rows = {r[0]: r[1:] for r in con.execute("select applicant_id, status, last_error from app.delivery_ledger").fetchall()}
    assert rows["t-001"] == ("failed", "message could not be built: RuntimeError")
    assert rows["t-000"][0] == rows["t-002"][0] == "sent"
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_sink.parsed()) == ["person0@example.org", "person2@example.org"]
    assert not [t for t in threading.enumerate() if t.name == "smartpick-build-messages"]
    monkeypatch.setattr(publishing, "build_message", real)
    assert deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT).sent == 1  # the failed one, retried next run
